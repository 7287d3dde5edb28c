# Chapter 5: the mean over seeds follows the noise-free run; the band is one standard deviation.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch05_mean.png"
set multiplot layout 1,2 title "x1 over 10000 seeds: mean ± 1 sd, and the noise-free run"
set grid
set xlabel "step t"
set ylabel "x1"
set key bottom right
set title "constant η = 0.1"
set xrange [0:50]
plot "out/ch05_mean.dat" index 0 using 1:($3-$4):($3+$4) with filledcurves fc rgb "#ffd8b0" title "mean ± sd", \
     "out/ch05_mean.dat" index 0 using 1:3 with lines lw 2 lc rgb "#ff7f0e" title "mean of seeds", \
     "out/ch05_mean.dat" index 0 using 1:2 with lines lw 2 dt 2 lc rgb "#1f77b4" title "noise-free"
set title "exponential 0.1·e^{−0.1t}: stops short of 0"
set xrange [0:100]
plot "out/ch05_mean.dat" index 2 using 1:($3-$4):($3+$4) with filledcurves fc rgb "#ffd8b0" title "mean ± sd", \
     "out/ch05_mean.dat" index 2 using 1:3 with lines lw 2 lc rgb "#ff7f0e" title "mean of seeds", \
     "out/ch05_mean.dat" index 2 using 1:2 with lines lw 2 dt 2 lc rgb "#1f77b4" title "noise-free"
unset multiplot
