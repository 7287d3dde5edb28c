# Chapter 7: paths of GD, momentum and Nesterov on f = 0.1 x1^2 + 2 x2^2 (data: examples/ch07_momentum.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch07_paths.png"
# contour lines of the grid the program computed with ofs_toy_eval
set contour base
set cntrparam levels discrete 0.25, 0.5, 1, 2, 4, 8, 16
unset surface
set view map
set table $contours
splot "out/ch07_grid.dat" using 1:2:3 with lines notitle
unset table
unset contour
set title "f(x) = 0.1 x_1^2 + 2 x_2^2 from (-5, -2), 20 steps"
set xlabel "x_1"
set ylabel "x_2"
set xrange [-5.5:1.5]
set yrange [-3:3]
set key bottom right box opaque
set size ratio -1
plot $contours using 1:2 with lines lc rgb "#bbbbbb" notitle, \
     "out/ch07_paths.dat" index 0 using 2:3 with linespoints lw 2 pt 7 ps 0.6 lc rgb "#1f77b4" title "gradient descent, lr 0.4", \
     "" index 1 using 2:3 with linespoints lw 2 pt 7 ps 0.6 lc rgb "#d62728" title "momentum, lr 0.6, beta 0.5", \
     "" index 2 using 2:3 with linespoints lw 1.5 pt 6 ps 0.6 dt 2 lc rgb "#ff7f0e" title "momentum, lr 0.6, beta 0.25", \
     "" index 3 using 2:3 with linespoints lw 2 pt 5 ps 0.5 lc rgb "#2ca02c" title "Nesterov, lr 0.3, beta 0.5"
