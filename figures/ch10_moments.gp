# Chapter 10: Adam's moment estimates with and without bias correction (data: examples/ch10_adam.c)
set terminal pngcairo size 1150,580 font ",11"
set output "figures/ch10_moments.png"
set multiplot layout 1,2 title "Adam's averages for a noisy gradient g_t = 1 + 0.5 N(0,1): raw (they start at 0) and bias-corrected"
set xlabel "step t (log scale)"
set logscale x
set xrange [1:2000]
set grid
set bmargin 7
set key at graph 0.5, graph -0.17 center top horizontal maxcols 2 maxrows 2 box font ",10" width -4
set title "first moment, β_1 = 0.9: target E[g] = 1"
set ylabel "estimate of E[g]"
set yrange [0:2.2]
plot "out/ch10_moments.dat" using 1:2 with points pt 7 ps 0.25 lc rgb "#bbbbbb" title "g_t", \
     "" using 1:3 with lines lw 2.5 lc rgb "#1f77b4" title "m_t (raw)", \
     "" using 1:5 with lines lw 2 dt 2 lc rgb "#d62728" title "m_t / (1 − β_1^t)", \
     "" using 1:7 with lines lw 1.5 dt 3 lc rgb "black" title "E[m_t] = 1 − 0.9^t"
set title "second moment, β_2 = 0.999: target E[g²] = 1.25"
set ylabel "estimate of E[g²]"
set yrange [0:3]
plot "out/ch10_moments.dat" using 1:($2*$2) with points pt 7 ps 0.25 lc rgb "#bbbbbb" title "g_t²", \
     "" using 1:4 with lines lw 2.5 lc rgb "#1f77b4" title "v_t (raw)", \
     "" using 1:6 with lines lw 2 dt 2 lc rgb "#d62728" title "v_t / (1 − β_2^t)", \
     "" using 1:8 with lines lw 1.5 dt 3 lc rgb "black" title "E[v_t] = 1.25(1 − 0.999^t)"
unset multiplot
