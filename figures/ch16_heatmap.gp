# Chapter 16: test accuracy of every optimizer with every schedule (data: examples/ch16_sweep.c, full run)
set terminal pngcairo size 900,720 font ",11"
set output "figures/ch16_heatmap.png"
set title "MNIST test accuracy (%) after 5 epochs: 784-256-10 MLP, batch 128, one learning rate per optimizer"
set xlabel "learning-rate schedule"
set ylabel "optimizer (learning rate)"
set xrange [-0.5:3.5]
set yrange [14.5:-0.5]
set tics scale 0
set x2tics ("" 0)
set cblabel "test accuracy (%)"
set cbrange [96.5:98.5]   # Rprop, far below, shows as the lightest cells
set palette defined (0 "#fff5eb", 1 "#fdd0a2", 2 "#fd8d3c", 3 "#d94801", 4 "#7f2704")
unset key
# column 6 is a fraction (NaN for a diverged run); white text on the dark cells
plot "out/ch16_results.dat" using 2:1:(100*$6) with image, \
     "" using 2:1:(100*$6 >= 98 ? sprintf("%.2f", 100*$6) : "") with labels tc rgb "#ffffff" font ",11", \
     "" using 2:1:(100*$6 < 98 ? sprintf("%.2f", 100*$6) : "") with labels tc rgb "#000000" font ",11", \
     "" using 2:1:xticlabels(stringcolumn(4) eq "warmup_cosine" ? "warmup + cosine" : stringcolumn(4)):yticlabels(sprintf("%s (%g)", stringcolumn(3), $5)) with points ps 0
