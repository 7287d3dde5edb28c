# Chapter 6: minibatch SGD, loss against training time (measured seconds per epoch on the machine that ran it).
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch06_time.png"
set title "The same runs against CPU time (log scale; training only)"
set xlabel "time (seconds)"
set ylabel "loss (mean of r²/2, log scale)"
set logscale xy
set format x "10^{%L}"
set yrange [0.08:30]
set grid
set key top right
plot "out/ch06_loss.dat" index 0 using 3:2 with lines lw 2 lc rgb "#1f77b4" title "batch 1", \
     "out/ch06_loss.dat" index 1 using 3:2 with lines lw 2.5 dt 2 lc rgb "#2ca02c" title "batch 10", \
     "out/ch06_loss.dat" index 2 using 3:2 with linespoints pt 7 ps 0.5 lw 2 lc rgb "#ff7f0e" title "batch 100", \
     "out/ch06_loss.dat" index 3 using 3:2 with linespoints pt 5 ps 0.8 lw 2 lc rgb "#d62728" title "batch 1500 (GD)", \
     0.125 with lines dt 2 lw 1.5 lc rgb "#000000" title "floor σ²/2"
