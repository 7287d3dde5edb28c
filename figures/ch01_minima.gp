# Chapter 1: local and global minimum of f(x) = x cos(pi x) on [-1, 2].
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch01_minima.png"
set title "f(x) = x cos(πx): a local minimum and the global minimum on [-1, 2]"
set xlabel "x"
set ylabel "f(x)"
set grid
set key top left
set label 1 "local minimum" at -0.273853, -0.178603 offset -2,-1.6
set label 2 "global minimum" at 1.090408, -1.046721 offset -4,-1.3
set yrange [-1.4:2.2]
plot "out/ch01_xcos.dat" using 1:2 with lines lw 2 lc rgb "#1f77b4" title "x cos(πx)", \
     "out/ch01_minima.dat" using 1:2 with points pt 7 ps 1.6 lc rgb "#d62728" title "minima found by the program"
