# Chapter 15b: AdamW at five constant rates, 2 epochs each from the same initial weights
# (data: examples/ch15b_practice.c, full run). out/ch15b_rates.dat, one index per rate:
# step epoch loss mean_of_last_25 ratio_w1 ratio_w2; out/ch15b_rates_val.dat: epoch
# val_loss val_acc, four times an epoch. Left: the training loss (the mean of the last 25
# batches); middle: the validation loss; right: the update-to-weight ratio of the first
# layer at every step, with the rule of thumb 1e-3.
set terminal pngcairo size 1350,500 font ",11"
set output "figures/ch15b_curves.png"
set multiplot layout 1,3 title "MLP 784-256-10 on MNIST, AdamW at a constant rate: 50,000 training and 10,000 validation images, 391 steps an epoch"
rates = "4e-5 4e-4 4e-3 4e-2 4e-1"
colors = "#000000 #1f4e9c #d62728 #e08214 #8c8c8c"
array DT[5] = [2, 4, 1, 5, 3]
array LW[5] = [2, 2, 3, 2, 2]
set xlabel "epoch"
set xrange [0:2]
set xtics 0,0.5,2
set grid
set logscale y
set format y "%g"
set key top right box opaque font ",10" samplen 2.5
set title "training loss (mean of the last 25 batches)"
set ylabel "cross-entropy (log scale)"
set yrange [0.05:20]
plot for [i=1:5] "out/ch15b_rates.dat" index (i-1) using 2:4 with lines lw LW[i] dt DT[i] \
     lc rgb word(colors, i) title "lr ".word(rates, i)
set title "validation loss (10,000 images, 4 times an epoch)"
set yrange [0.02:3]
set key bottom left
plot for [i=1:5] "out/ch15b_rates_val.dat" index (i-1) using 1:2 with linespoints pt (i+3) ps 0.8 \
     lw LW[i] dt DT[i] lc rgb word(colors, i) title "lr ".word(rates, i)
set title "update-to-weight ratio of W_1 (every 3rd step)"
set ylabel "||{/Symbol D}W_1|| / ||W_1|| (log scale)"
set yrange [1e-4:1]
set format y "10^{%L}"
set key top right
set arrow 1 from graph 0, first 1e-3 to graph 1, first 1e-3 nohead lw 1 dt 3 lc rgb "#000000" front
set label 1 "1e-3, the rule of thumb" at graph 0.03, first 1.25e-3 left font ",10" front
plot for [i=1:5] "out/ch15b_rates.dat" index (i-1) using 2:5 every 3 with lines lw 1.5 dt DT[i] \
     lc rgb word(colors, i) title "lr ".word(rates, i)
unset multiplot
