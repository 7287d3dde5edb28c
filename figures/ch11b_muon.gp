# Chapter 11b: Muon's Newton-Schulz iteration (data: examples/ch11b_after_adam.c)
set terminal pngcairo size 1100,480 font ",11"
set output "figures/ch11b_muon.png"
set multiplot layout 1,2
set title "Singular values of a hidden matrix's gradient (W2, 32 x 64)"
set xlabel "index (largest first)"
set ylabel "singular value"
set logscale y
set format y "10^{%L}"
set yrange [1e-4:3]
set xrange [0:33]
set grid
set key bottom left box opaque
plot "out/ch11b_muon.dat" index 0 using 1:2 with linespoints pt 7 ps 0.6 lw 2 lc rgb "#9ecae1" title "gradient G (divided by its largest)", \
     "" index 0 using 1:3 with linespoints pt 5 ps 0.6 lw 2 lc rgb "#08519c" title "after 5 Newton-Schulz steps: Muon's update"
set title "What the iteration does to one singular value s of G / |G|_F"
set xlabel "s (log scale)"
set ylabel "after k steps"
unset logscale y
set format y "%g"
set yrange [0:1.35]
set logscale x
set xrange [1e-4:1]
set format x "10^{%L}"
set key top left reverse Left box opaque samplen 1.5 width -1
plot "out/ch11b_muon.dat" index 1 using 1:2 with lines lw 2 lc rgb "#c6dbef" title "k = 1", \
     "" index 1 using 1:3 with lines lw 2 lc rgb "#9ecae1" title "k = 2", \
     "" index 1 using 1:4 with lines lw 2 lc rgb "#6baed6" title "k = 3", \
     "" index 1 using 1:5 with lines lw 2 lc rgb "#3182bd" title "k = 4", \
     "" index 1 using 1:6 with lines lw 3 lc rgb "#08519c" title "k = 5 (Muon)", \
     1 with lines dt 2 lc rgb "#444444" notitle
unset multiplot
