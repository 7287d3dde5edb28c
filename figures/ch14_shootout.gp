# Chapter 14: every optimizer on Rosenbrock, Beale and Himmelblau (data: examples/ch14_shootout.c).
# Draws figures/ch14_<function>_paths.png (contours of log10 f, one panel per family of
# optimizers) and figures/ch14_<function>_loss.png (f against the step, the same panels).
# The paths file holds one block per optimizer, in the library's order:
names  = "sgd adagrad rmsprop adadelta adam adamw adamax nadam radam lion yogi lamb adabelief rprop asgd adopt sfadamw sfsgd"
# the panels: the optimizers' blocks (0-based), and a title
groups = "0,14,17 13,9 1,2,3 4,5,6,15 7,8,12 10,11,16"
titles = "SGD, ASGD, Schedule-Free SGD;sign steps;Adagrad, RMSProp, Adadelta;Adam, AdamW, Adamax, ADOPT;NAdam, RAdam, AdaBelief;Yogi, LAMB, Schedule-Free AdamW"
colors = "#1f77b4 #d62728 #2ca02c #9467bd"
dashes = "1 2 4 5"
fns    = "rosenbrock beale himmelblau"
sx = "-1.2 1 0";   sy = "1 1.5 0"          # the start of every run
xlo = "-2 -0.5 -5"; xhi = "2 4.5 5"
ylo = "-1 -1 -5";   yhi = "3 2 5"
lev = "-1,0.5,3.5 -1,0.5,2.5 -1,0.5,3"     # contour levels of log10 f: start, step, end

members(g) = words(word(groups, g) eq "" ? "" : system("echo ".word(groups, g)." | tr , ' '"))
member(g, j) = int(word(system("echo ".word(groups, g)." | tr , ' '"), j))
title_of(g) = system("echo '".titles."' | cut -d';' -f".g)

do for [k=1:3] {
    fn = word(fns, k)
    reset
    set contour base
    eval "set cntrparam levels incremental ".word(lev, k)
    unset surface
    set view map
    set table $cont
    splot "out/ch14_".fn."_grid.dat" using 1:2:3 with lines notitle
    unset table
    unset contour
    set terminal pngcairo size 1350,820 font ",10"
    set output "figures/ch14_".fn."_paths.png"
    set multiplot layout 2,3 title "Every optimizer on ".fn." from (".word(sx, k).", ".word(sy, k)."), by family (contours: log_{10} f every 0.5; red cross: minimum)"
    set xrange [real(word(xlo, k)):real(word(xhi, k))]
    set yrange [real(word(ylo, k)):real(word(yhi, k))]
    set xlabel "x_1" offset 0,0.5
    set ylabel "x_2" offset 1.5,0
    set key top right box opaque font ",9" samplen 2
    do for [g=1:6] {
        n = members(g)
        set title title_of(g)
        plot $cont using 1:2 with lines lc rgb "#cccccc" lw 1 notitle, \
             for [j=1:n] "out/ch14_".fn."_paths.dat" index member(g, j) using 2:3 with lines lw 2 \
                 lc rgb word(colors, j) dt int(word(dashes, j)) title word(names, member(g, j) + 1), \
             "out/ch14_minima.dat" index (k-1) using 1:2 with points pt 2 ps 2 lw 2 lc rgb "red" notitle
    }
    unset multiplot

    reset
    set terminal pngcairo size 1350,820 font ",10"
    set output "figures/ch14_".fn."_loss.png"
    set multiplot layout 2,3 title "f against the step on ".fn.", by family (values below 10^{-12} drawn at 10^{-12}; dotted: the tolerance 10^{-6})"
    set xlabel "step + 1" offset 0,0.5
    set ylabel "f(x)" offset 1.5,0
    set logscale xy
    set format y "10^{%L}"
    set format x "10^{%L}"
    set yrange [1e-12:1e4]
    set xrange [1:20001]
    set grid
    set key bottom left box opaque font ",9" samplen 2
    do for [g=1:6] {
        n = members(g)
        set title title_of(g)
        plot for [j=1:n] "out/ch14_".fn."_paths.dat" index member(g, j) using ($1+1):($4 < 1e-12 ? 1e-12 : $4) with lines lw 2 \
                 lc rgb word(colors, j) dt int(word(dashes, j)) title word(names, member(g, j) + 1), \
             1e-6 with lines lw 1 dt 3 lc rgb "black" notitle
    }
    unset multiplot
}
