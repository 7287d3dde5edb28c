# Chapter 11: AdamW, NAdam, RAdam and Lion on f = 0.1 x1^2 + 2 x2^2 (data: examples/ch11_adamw.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch11_paths.png"
set contour base
set cntrparam levels discrete 0.25, 0.5, 1, 2, 4, 8, 16
unset surface
set view map
set table $contours
splot "out/ch11_grid.dat" using 1:2:3 with lines notitle
unset table
unset contour
set title "AdamW, NAdam, RAdam and Lion on f(x) = 0.1 x_1^2 + 2 x_2^2 from (-5, -2): lr 0.1, 100 steps"
set xlabel "x_1"
set ylabel "x_2"
set xrange [-5.5:3.5]
set yrange [-3:3]
set key bottom right box opaque
set size ratio -1
plot $contours using 1:2 with lines lc rgb "#bbbbbb" notitle, \
     "out/ch11_paths.dat" index 0 using 2:3 with linespoints lw 2 pt 7 ps 0.5 lc rgb "#1f77b4" title "AdamW (lambda 0.01)", \
     "" index 1 using 2:3 with linespoints lw 2 pt 5 ps 0.5 lc rgb "#2ca02c" title "NAdam", \
     "" index 2 using 2:3 with linespoints lw 2 pt 9 ps 0.6 lc rgb "#d62728" title "RAdam", \
     "" index 3 using 2:3 with linespoints lw 2 pt 6 ps 0.6 lc rgb "#ff7f0e" title "Lion (sign steps of 0.1)"
