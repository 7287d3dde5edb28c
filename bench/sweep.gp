# make bench's size sweep (bench/run.sh writes build/bench_sweep.dat and calls
#   gnuplot -e "peak=...; peakw='512-bit'; threads=2; cpu='...'" bench/sweep.gp).
# Left: the square product C = A B against n (log2 axis), optimfs and OpenBLAS.
# Right: MLP training, optimfs and PyTorch, GFLOP/s of the matrix products
# (3F - 2 n_0 n_1 per sample, F = 2 sum n_l n_{l+1}). Both with the measured FMA peak.
if (!exists("peak")) peak = 0
if (!exists("peakw")) peakw = "?"
if (!exists("threads")) threads = 2
if (!exists("cpu")) cpu = "this machine"
set terminal pngcairo size 1300,560 font ",11"
set output "figures/bench_sweep.png"
top = (peak > 0 ? peak * 1.12 : 500)
peaktitle = sprintf("FMA peak, %d threads, %s vectors (%.0f GFLOP/s)", threads, peakw, peak)
set multiplot layout 1,2 title sprintf("make bench: speed against size, float, %d threads (%s)", threads, cpu) font ",13"

set title "Square matrix product C = A B"
set xlabel "n (matrices n x n)"
set ylabel "GFLOP/s (2 n^3 flops per product)"
set logscale x 2
set xrange [90:2900]
set xtics (128, 256, 512, 1024, 2048)
set yrange [0:top]
set grid
set key outside bottom center horizontal
plot "build/bench_sweep.dat" index 0 using 1:($2 > 0 ? $2 : NaN) with linespoints lw 2 pt 7 ps 1.2 lc rgb "#1f77b4" title "optimfs (ofs\\_gemm)", \
     "build/bench_sweep.dat" index 0 using 1:($3 > 0 ? $3 : NaN) with linespoints lw 2 pt 5 ps 1.2 lc rgb "#ff7f0e" title "OpenBLAS (numpy)", \
     peak with lines dt 2 lw 2 lc rgb "#000000" title peaktitle

set title "MLP training, batch 128, AdamW"
set xlabel "model (layer widths, inputs first)"
set ylabel "GFLOP/s (matrix products of forward and backward)"
unset logscale x
set xrange [-0.6:3.6]
set xtics () nomirror
set style fill solid 0.85 border -1
set boxwidth 0.36
plot "build/bench_sweep.dat" index 1 using ($2 - 0.19):($3 > 0 ? $3 : NaN) with boxes lc rgb "#1f77b4" title "optimfs (ofs\\_trainer\\_epoch)", \
     "build/bench_sweep.dat" index 1 using ($2 + 0.19):($4 > 0 ? $4 : NaN) with boxes lc rgb "#2ca02c" title "PyTorch (fastest thread setting)", \
     "build/bench_sweep.dat" index 1 using 2:(NaN):xtic(1) with points notitle, \
     peak with lines dt 2 lw 2 lc rgb "#000000" title peaktitle
unset multiplot
