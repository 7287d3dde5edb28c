# Chapter 3: gradient descent traces on x^2 (three learning rates) and on x cos(0.15 pi x).
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch03_traces.png"
array T[4] = ["x², η = 0.2: converges", "x², η = 0.05: too slow", "x², η = 1.1: diverges", "x cos(0.15πx), η = 2: bounces in a shallow valley"]
array C[4] = [0, 0, 1, 2]
set multiplot layout 2,2 title "Gradient descent from x = 10, 10 steps"
set grid
set key off
do for [k=0:3] {
    set title T[k+1]
    set xlabel "x"
    set ylabel "f(x)"
    plot "out/ch03_curves.dat" index C[k+1] using 1:2 with lines lw 2 lc rgb "#1f77b4", \
         "out/ch03_traces.dat" index k using 2:3 with linespoints pt 7 ps 0.8 lw 1.2 lc rgb "#ff7f0e"
}
unset multiplot
