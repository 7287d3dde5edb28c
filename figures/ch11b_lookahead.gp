# Chapter 11b: Lookahead around SGD with momentum on f = 0.1 x1^2 + 2 x2^2 (data: examples/ch11b_wrappers.c)
set terminal pngcairo size 900,640 font ",11"
set output "figures/ch11b_lookahead.png"
# contour lines of the grid the program computed with ofs_toy_eval
set contour base
set cntrparam levels discrete 0.25, 0.5, 1, 2, 4, 8, 16
unset surface
set view map
set table $contours
splot "out/ch11b_lookahead_grid.dat" using 1:2:3 with lines notitle
unset table
unset contour
set title "Lookahead (k 5, alpha 0.5) around SGD (lr 0.5, momentum 0.9), from (-5, -2), 60 steps"
set xlabel "x_1"
set ylabel "x_2"
set xrange [-5.5:3.5]
set yrange [-4.4:3.2]
set key bottom center horizontal box opaque maxrows 2
set size ratio -1
plot $contours using 1:2 with lines lc rgb "#cccccc" notitle, \
     "out/ch11b_lookahead.dat" index 0 using 2:3 with lines lw 1.5 dt 2 lc rgb "#777777" title "SGD alone", \
     "" index 1 using 2:3 with linespoints lw 1.2 pt 7 ps 0.45 lc rgb "#4a90d9" title "fast weights (the base optimizer's steps)", \
     "" index 2 using 2:3 with linespoints lw 3 pt 5 ps 1.3 lc rgb "#b2182b" title "slow weights, after each sync (every 5 steps)"
