# Chapter 11: weight decay with a zero loss gradient (data: examples/ch11_adamw.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch11_norms.png"
set title "Weight decay alone (loss gradient 0), w_0 = (1, -2, 3), lr 0.01"
set xlabel "step"
set ylabel "|w|"
set grid
set yrange [0:4]
set key at graph 0.98, graph 0.31 right top box opaque
plot "out/ch11_norms.dat" using 1:2 with lines lw 6 lc rgb "#9ecae1" title "AdamW, lambda 0.1", \
     "" using 1:6 with lines lw 2 dt 2 lc rgb "#08519c" title "SGD + L2, lambda 0.1", \
     "" every 50 using 1:7 with points pt 6 ps 1.2 lc rgb "black" title "|w_0| (1 - lr lambda)^t", \
     "" using 1:3 with lines lw 2 lc rgb "#2ca02c" title "AdamW, lambda 0.01", \
     "" using 1:4 with lines lw 6 lc rgb "#fdae6b" title "Adam + L2, lambda 0.1", \
     "" using 1:5 with lines lw 2 dt 2 lc rgb "#d62728" title "Adam + L2, lambda 0.01"
