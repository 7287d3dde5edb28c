# Chapter 10: the Adam family on f = 0.1 x1^2 + 2 x2^2 (data: examples/ch10_adam.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch10_paths.png"
set contour base
set cntrparam levels discrete 0.25, 0.5, 1, 2, 4, 8, 16
unset surface
set view map
set table $contours
splot "out/ch10_grid.dat" using 1:2:3 with lines notitle
unset table
unset contour
set title "The Adam family on f(x) = 0.1 x_1^2 + 2 x_2^2 from (-5, -2): lr 0.1, 100 steps\n(Adam, AMSGrad and Yogi nearly coincide)"
set xlabel "x_1"
set ylabel "x_2"
set xrange [-5.5:2.5]
set yrange [-3:3]
set key bottom right box opaque
set size ratio -1
plot $contours using 1:2 with lines lc rgb "#bbbbbb" notitle, \
     "out/ch10_paths.dat" index 0 using 2:3 with lines lw 7 lc rgb "#9ecae1" title "Adam", \
     "" index 1 using 2:3 with linespoints lw 2 pt 6 ps 0.5 dt 2 lc rgb "#d62728" title "Adam without bias correction", \
     "" index 2 using 2:3 with lines lw 2 dt 3 lc rgb "#08519c" title "AMSGrad", \
     "" index 3 using 2:3 with linespoints lw 2 pt 5 ps 0.5 lc rgb "#2ca02c" title "Adamax", \
     "" index 4 using 2:3 with lines lw 1.5 lc rgb "#ff7f0e" title "Yogi", \
     "" index 5 using 2:3 with linespoints lw 2 pt 9 ps 0.6 lc rgb "#9467bd" title "AdaBelief"
