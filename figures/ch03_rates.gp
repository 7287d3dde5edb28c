# Chapter 3: the rate of gradient descent on two quadratics against the learning rate (data: examples/ch03_gd.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch03_rates.png"
set title "Gradient descent on a quadratic: the factor per step, |x_{200}| / |x_{199}|, against the learning rate"
set xlabel "learning rate η"
set ylabel "rate (factor per step; 1 = no progress)"
set xrange [0:0.5]
set yrange [0:1.05]
set grid
set key bottom left box opaque
set arrow 1 from 1/3.0, 0 to 1/3.0, 1.0/3 nohead dt 2 lc rgb "#1f77b4"
set label 1 "2/(λ_{min}+λ_{max}) = 1/3:\nrate (κ−1)/(κ+1) = 1/3" at 1/3.0, 0.2 offset 1,0 tc rgb "#1f77b4"
set arrow 2 from 2/4.2, 0 to 2/4.2, 19/21.0 nohead dt 2 lc rgb "#d62728"
set label 2 "2/(λ_{min}+λ_{max}) = 0.476:\nrate 19/21 = 0.905" at 0.44, 0.855 right tc rgb "#d62728"
plot "out/ch03_rates.dat" index 0 using 1:3 with lines lw 2 lc rgb "#1f77b4" title "x_1² + 2x_2² (κ = 2): max_i |1 − ηλ_i|", \
     "" index 0 using 1:2 every 4 with points pt 7 ps 0.8 lc rgb "#1f77b4" title "    measured", \
     "" index 1 using 1:3 with lines lw 2 dt 4 lc rgb "#d62728" title "0.1x_1² + 2x_2² (κ = 20): max_i |1 − ηλ_i|", \
     "" index 1 using 1:2 every 4 with points pt 4 ps 0.8 lc rgb "#d62728" title "    measured"
