# Chapter 16: loss per epoch of every optimizer with warmup + cosine (data: examples/ch16_sweep.c, full run)
# out/ch16_curves.dat holds one block per run, 4 per optimizer in the order constant, step,
# cosine, warmup_cosine: block 4 i + 3 is optimizer i with warmup + cosine. Epoch 0 (the
# initial network, loss 2.45 for all) is left out so that the last epochs can be told apart.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch16_loss.png"
set multiplot layout 1,2 title "MLP 784-256-10 on MNIST: every optimizer with 1 epoch of linear warmup, then cosine to 0"
set xlabel "epoch"
set xrange [0.8:5.2]
set xtics 1,1,5
set grid
set logscale y
set format y "%g"
set ytics ("0.01" 0.01, "0.02" 0.02, "0.05" 0.05, "0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "1" 1)
colors = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf #000000 #aec7e8 #98df8a"
set title "training loss (mean over the epoch)"
set key top right font ",9" box opaque
plot for [i=0:12] "out/ch16_curves.dat" index (4*i+3) using ($1 > 0 ? $1 : NaN):2 with linespoints \
     pt (i%7)+1 ps 0.7 lw 1.5 dt 1+(i>=7) lc rgb word(colors, i+1) title columnheader(1)
set title "test loss (after each epoch)"
set yrange [0.045:0.3]
set ytics ("0.05" 0.05, "0.06" 0.06, "0.07" 0.07, "0.08" 0.08, "0.1" 0.1, "0.15" 0.15, "0.2" 0.2, "0.3" 0.3)
unset key
plot for [i=0:12] "out/ch16_curves.dat" index (4*i+3) using ($1 > 0 ? $1 : NaN):4 with linespoints \
     pt (i%7)+1 ps 0.7 lw 1.5 dt 1+(i>=7) lc rgb word(colors, i+1) title columnheader(1)
unset multiplot
