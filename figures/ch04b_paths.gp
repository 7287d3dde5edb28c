# Chapter 4b: L-BFGS, Newton and gradient descent on Rosenbrock from (-1.5, 2)
# (data: examples/ch04b_lbfgs.c; blocks of out/ch04b_runs.dat in the order it prints).
set terminal pngcairo size 900,750 font ",11"
set output "figures/ch04b_paths.png"
set contour base
set cntrparam levels incremental -1, 0.5, 3.5
unset surface
set view map
set table $cont
splot "out/ch04b_rosenbrock.dat" using 1:2:3 with lines notitle
unset table
unset contour
set title "Rosenbrock from (−1.5, 2): the iterates of each method\n(contours: log_{10} f every 0.5)"
set xlabel "x_1"
set ylabel "x_2"
set xrange [-2:2]
set yrange [-3:3]
set size ratio -1
set key below box
set label 1 "start" at -1.5, 2 point pt 7 ps 1.5 lc rgb "black" offset 0.8, 0.8 front
plot $cont using 1:2 with lines lc rgb "#cccccc" lw 1 notitle, \
     "out/ch04b_runs.dat" index 4 using 5:6 with lines lw 2 lc rgb "#2ca02c" title "gradient descent", \
     "out/ch04b_runs.dat" index 3 using 5:6 with linespoints pt 5 ps 0.9 lw 1.5 lc rgb "#d62728" title "Newton", \
     "out/ch04b_runs.dat" index 0 using 5:6 with linespoints pt 7 ps 0.6 lw 1.5 lc rgb "#1f77b4" title "L-BFGS, strong Wolfe", \
     "out/ch04b_runs.dat" index 2 using 5:6 with lines lw 1.2 dt 2 lc rgb "#ff7f0e" title "L-BFGS, no line search", \
     "<echo '1 1'" using 1:2 with points pt 3 ps 2.5 lw 2 lc rgb "black" title "minimum (1, 1)"
