# Chapter 10: the gradient scale Adam, AMSGrad, Yogi, Adamax and AdaBelief divide by, when |g| drops (data: examples/ch10_adam.c)
set terminal pngcairo size 1000,640 font ",11"
set output "figures/ch10_denominators.png"
set title "|g| = 1 for 500 steps, then 0.1: the scale each method divides the step by (lr = 0: only the state moves)"
set xlabel "step t"
set ylabel "denominator (units of g)"
set logscale y
set yrange [0.005:3]
set xrange [0:5000]
set grid
set bmargin 8
set key at graph 0.5, graph -0.14 center top horizontal maxcols 3 box font ",10" width -2
set arrow 1 from 500, graph 0 to 500, graph 1 nohead dt 3 lc rgb "black"
set label 1 "t = 500: |g| drops from 1 to 0.1" at 520, 2.2 font ",10"
plot "out/ch10_denominators.dat" using 1:3 with lines lw 2.5 lc rgb "#1f77b4" title "Adam: √(v_t / (1 − β_2^t))", \
     "" using 1:4 with lines lw 2 dt 2 lc rgb "#d62728" title "AMSGrad: √(max v / (1 − β_2^t))", \
     "" using 1:5 with lines lw 2 dt 4 lc rgb "#2ca02c" title "Yogi: √(v_t / (1 − β_2^t))", \
     "" using 1:6 with lines lw 2 dt 5 lc rgb "#9467bd" title "Adamax: u_t", \
     "" using 1:7 with lines lw 2 lc rgb "#ff7f0e" title "AdaBelief: √(s_t / (1 − β_2^t))", \
     "" using 1:2 with lines lw 1.5 dt 3 lc rgb "black" title "|g_t|"
