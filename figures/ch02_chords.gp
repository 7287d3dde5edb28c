# Chapter 2: a chord between a = -1.5 and b = 1 lies above a convex function, not above a nonconvex one.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch02_chords.png"
array T[3] = ["x² (convex)", "x cos(πx) (not convex)", "cosh(x/2) (convex)"]
set multiplot layout 1,3 title "Jensen's test: the chord from a = −1.5 to b = 1 must lie above the curve"
set grid
set xlabel "x"
set xrange [-2:2]
set xtics 1
set key top center
do for [k=0:2] {
    set title T[k+1]
    set ylabel (k == 0 ? "f(x)" : "")
    plot "out/ch02_curves.dat" index k using 2:3 with lines lw 2 lc rgb "#1f77b4" title "f", \
         "out/ch02_chords.dat" index k using 2:3 with linespoints lw 2 pt 7 lc rgb "#d62728" title "chord"
}
unset multiplot
