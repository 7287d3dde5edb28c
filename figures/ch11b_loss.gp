# Chapter 11b: Schedule-Free AdamW against AdamW with warmup + cosine (data: examples/ch11b_after_adam.c)
set terminal pngcairo size 900,560 font ",11"
set output "figures/ch11b_loss.png"
set title "f(w) = (w1^2 + 10 w2^2)/2, noisy gradients: mean loss at the evaluation point, 20 seeds"
set xlabel "step"
set ylabel "loss"
set logscale y
set format y "10^{%L}"
set grid
set key top right box opaque
plot "out/ch11b_loss.dat" using 1:2 with lines lw 2 lc rgb "#d62728" title "AdamW, warmup + cosine planned for 800 steps (lr 0.03)", \
     "" using 1:3 with lines lw 2 lc rgb "#08519c" title "Schedule-Free AdamW (x), no schedule (lr 0.3)"
