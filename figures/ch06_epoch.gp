# Chapter 6: minibatch SGD, loss per epoch for batch sizes 1, 10, 100 and 1500.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch06_epoch.png"
set title "Linear regression (1500 × 5, σ = 0.5): loss against epochs"
set xlabel "epoch (passes over the data)"
set ylabel "loss (mean of r²/2, log scale)"
set logscale y
set yrange [0.08:30]
set grid
set key top right
plot "out/ch06_loss.dat" index 0 using 1:2 with lines lw 2 lc rgb "#1f77b4" title "batch 1, lr 0.02", \
     "out/ch06_loss.dat" index 1 using 1:2 with lines lw 2.5 dt 2 lc rgb "#2ca02c" title "batch 10, lr 0.05", \
     "out/ch06_loss.dat" index 2 using 1:2 with linespoints pt 7 ps 0.5 lw 2 lc rgb "#ff7f0e" title "batch 100, lr 0.2", \
     "out/ch06_loss.dat" index 3 using 1:2 with linespoints pt 5 ps 0.8 lw 2 lc rgb "#d62728" title "batch 1500 (GD), lr 0.4", \
     0.125 with lines dt 2 lw 1.5 lc rgb "#000000" title "floor σ²/2 = 0.125"
