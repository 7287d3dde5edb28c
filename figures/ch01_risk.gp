# Chapter 1: the empirical risk g has its minimum elsewhere than the risk f.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch01_risk.png"
set title "Risk f(x) = x cos(πx) and empirical risk g(x) = f(x) + 0.2 cos(5πx)"
set xlabel "x"
set ylabel "risk"
set grid
set key top left
set arrow 1 from 1.090408, -0.75 to 1.090408, -1.02 lc rgb "#1f77b4" lw 1.5
set label 1 "min of risk" at 1.090408, -0.72 center tc rgb "#1f77b4"
set arrow 2 from 1.016983, -1.45 to 1.016983, -1.23 lc rgb "#ff7f0e" lw 1.5
set label 2 "min of empirical risk" at 1.016983, -1.49 center tc rgb "#ff7f0e"
set yrange [-1.6:0.6]
plot "out/ch01_risk.dat" using 1:2 with lines lw 2 lc rgb "#1f77b4" title "risk f", \
     "out/ch01_risk.dat" using 1:3 with lines lw 2 dt 2 lc rgb "#ff7f0e" title "empirical risk g"
