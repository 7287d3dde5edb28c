# Chapter 8: the same ill-conditioned valley, aligned with the axes and rotated by 45 degrees (data: examples/ch08_adagrad.c)
set terminal pngcairo size 1150,600 font ",11"
set output "figures/ch08_rotated.png"
set multiplot layout 1,2 title "f = x^T Q x / 2, curvatures 0.2 and 4, 100 steps from the same distance: per-coordinate rates need the axes"
set view map
unset surface
set contour base
set cntrparam levels discrete 0.25, 1, 2.5, 5, 10.5
set isosamples 200, 200
set table $ca
splot [-6:6][-6:6] 0.1*x**2 + 2*y**2
unset table
set table $cr
splot [-6:6][-6:6] 1.05*x**2 - 1.9*x*y + 1.05*y**2
unset table
unset contour
set size ratio -1
set grid
set xlabel "x_1"
set ylabel "x_2"
set key bottom right box opaque font ",10"
set title "axes aligned with the valley: f = 0.1x_1² + 2x_2²"
set xrange [-5.5:1.5]
set yrange [-5.5:1.5]
plot $ca using 1:2 with lines lc rgb "#cccccc" notitle, \
     "out/ch08_rotated.dat" index 0 using 2:3 with linespoints lw 2 pt 7 ps 0.5 lc rgb "#1f77b4" title "gradient descent, lr 0.4", \
     "" index 4 using 2:3 with linespoints lw 2 pt 4 ps 0.7 pi 5 dt 2 lc rgb "#d62728" title "Adagrad, lr 0.4", \
     "" index 8 using 2:3 with linespoints lw 2 pt 9 ps 0.7 pi 5 dt 4 lc rgb "#2ca02c" title "Adam, lr 0.1"
set key top left box opaque font ",10"
set title "rotated by 45°: f = 1.05x_1² − 1.9x_1x_2 + 1.05x_2²"
plot $cr using 1:2 with lines lc rgb "#cccccc" notitle, \
     "out/ch08_rotated.dat" index 1 using 2:3 with linespoints lw 2 pt 7 ps 0.5 lc rgb "#1f77b4" title "gradient descent, lr 0.4", \
     "" index 5 using 2:3 with linespoints lw 2 pt 4 ps 0.7 pi 5 dt 2 lc rgb "#d62728" title "Adagrad, lr 0.4", \
     "" index 9 using 2:3 with linespoints lw 2 pt 9 ps 0.7 pi 5 dt 4 lc rgb "#2ca02c" title "Adam, lr 0.1"
unset multiplot
