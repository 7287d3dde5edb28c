# Chapter 14: every optimizer on Rosenbrock, Beale and Himmelblau (data: examples/ch14_shootout.c).
# Draws figures/ch14_<function>_paths.png (contours of log10 f with all 13 paths)
# and figures/ch14_<function>_loss.png (f against the step) for each function.
names  = "sgd adagrad rmsprop adadelta adam adamw adamax nadam radam lion yogi lamb adabelief"
colors = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf #000000 #aec7e8 #98df8a"
fns    = "rosenbrock beale himmelblau"
sx = "-1.2 1 0";   sy = "1 1.5 0"          # the start of every run
xlo = "-2 -0.5 -5"; xhi = "2 4.5 5"
ylo = "-1 -1 -5";   yhi = "3 2 5"
lev = "-1,0.5,3.5 -1,0.5,2.5 -1,0.5,3"     # contour levels of log10 f: start, step, end

style(i) = sprintf("set linetype %d lc rgb '%s' lw 1.8 dt %d", i, word(colors, i), i > 7 ? 2 : 1)

do for [k=1:3] {
    fn = word(fns, k)
    reset
    set terminal pngcairo size 900,600 font ",11"
    do for [i=1:13] { eval style(i) }
    set contour base
    eval "set cntrparam levels incremental ".word(lev, k)
    unset surface
    set view map
    set table $cont
    splot "out/ch14_".fn."_grid.dat" using 1:2:3 with lines notitle
    unset table
    unset contour
    set output "figures/ch14_".fn."_paths.png"
    set title "All 13 optimizers on ".fn." from (".word(sx, k).", ".word(sy, k).") (contours: log_{10} f every 0.5)"
    set xlabel "x_1"
    set ylabel "x_2"
    set xrange [real(word(xlo, k)):real(word(xhi, k))]
    set yrange [real(word(ylo, k)):real(word(yhi, k))]
    set key outside right top box
    set label 1 "start" at real(word(sx, k)), real(word(sy, k)) point pt 7 ps 1.5 lc rgb "black" offset 0.8, 0.8 front
    plot $cont using 1:2 with lines lc rgb "#cccccc" lw 1 notitle, \
         for [i=1:13] "out/ch14_".fn."_paths.dat" index (i-1) using 2:3 with lines lt i title word(names, i), \
         "out/ch14_minima.dat" index (k-1) using 1:2 with points pt 3 ps 2.5 lw 2 lc rgb "red" title "minimum"

    reset
    set terminal pngcairo size 900,600 font ",11"
    do for [i=1:13] { eval style(i) }
    set output "figures/ch14_".fn."_loss.png"
    set title "f against the step on ".fn." (values below 10^{-12} drawn at 10^{-12})"
    set xlabel "step + 1"
    set ylabel "f(x)"
    set logscale xy
    set format y "10^{%L}"
    set yrange [1e-12:1e4]
    set xrange [1:20001]
    set grid
    set key outside right top box
    plot for [i=1:13] "out/ch14_".fn."_paths.dat" index (i-1) using ($1+1):($4 < 1e-12 ? 1e-12 : $4) with lines lt i title word(names, i), \
         1e-6 with lines lw 1 dt 3 lc rgb "red" title "tolerance 1e-6"
}
