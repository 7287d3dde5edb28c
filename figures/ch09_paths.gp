# Chapter 9: RMSProp's paths on f = 0.1 x1^2 + 2 x2^2 (data: examples/ch09_rmsprop.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch09_paths.png"
set contour base
set cntrparam levels discrete 0.25, 0.5, 1, 2, 4, 8, 16
unset surface
set view map
set table $contours
splot "out/ch09_grid.dat" using 1:2:3 with lines notitle
unset table
unset contour
set title "RMSProp on f(x) = 0.1 x_1^2 + 2 x_2^2 from (-5, -2): lr 0.4, gamma 0.9, 20 steps"
set xlabel "x_1"
set ylabel "x_2"
set xrange [-5.5:1.5]
set yrange [-3:3]
set key bottom right box opaque
set size ratio -1
plot $contours using 1:2 with lines lc rgb "#bbbbbb" notitle, \
     "out/ch09_paths.dat" index 0 using 2:3 with linespoints lw 2 pt 7 ps 0.7 lc rgb "#1f77b4" title "eps inside the root (D2L)", \
     "" index 1 using 2:3 with points pt 6 ps 1.4 lc rgb "#ff7f0e" title "eps outside (PyTorch)", \
     "" index 2 using 2:3 with linespoints lw 2 pt 5 ps 0.6 lc rgb "#d62728" title "centered"
