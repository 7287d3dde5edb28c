/* optimfs.h - v0.3.0 - gradient-descent optimizers from scratch, in one C header.

   Every optimizer of PyTorch's torch.optim but SparseAdam (SGD to AdamW, Rprop, ASGD,
   L-BFGS) exact against it, Lion, Yogi, LAMB and AdaBelief as optax defines them,
   ADOPT and Schedule-Free AdamW and SGD as their authors' code computes them,
   Muon and Adafactor as torch 2.9 computes them (on weight matrices, with shapes),
   every learning-rate schedule of torch.optim.lr_scheduler and D2L's, weight
   averaging (SWA, EMA), Newton's method for toy problems, a finite-difference
   gradient checker, a small multi-layer perceptron with hand-written
   backpropagation, and an MNIST (IDX) loader. The header reads
   like a book: its chapters are the tutorial's chapters, in the same order, with
   each update rule written beside the code that computes it.

   QUICK START
       #define OPTIMFS_IMPLEMENTATION      // in exactly one .c file
       #include "optimfs.h"

       ofs_optim opt;
       ofs_optim_config cfg = ofs_optim_defaults(OFS_ADAMW);   // PyTorch's defaults
       cfg.lr = 1e-3;
       ofs_optim_init(&opt, &cfg, n, NULL);     // owns its moment arrays
       for (step = 0; step < steps; step++) {
           compute_gradient(w, g);             // your code: g = dLoss/dw, n floats
           ofs_optim_step(&opt, w, g, NULL);   // w is updated in place
       }
       ofs_optim_free(&opt);

   TABLE OF CONTENTS (header chapters = tutorial chapters)
        0  Foundations: status and messages, random numbers, serialization
        1  Why optimization is hard: the toy objectives
        2  Convexity: projection onto a ball
        3  Gradient descent: the optimizer pattern
        4  Newton's method
       4b  Quasi-Newton: L-BFGS (torch.optim.LBFGS, with its strong Wolfe line search)
        5  Stochastic gradient descent; averaging: ASGD, weight averaging (SWA, EMA)
        6  Minibatch SGD (shuffling)
        7  Momentum and Nesterov: SGD
        8  Adagrad
        9  RMSProp and Adadelta
       10  Adam and its family: Adam, AMSGrad, Adamax, Yogi, AdaBelief, ADOPT
       11  AdamW, NAdam, RAdam, Lion, Rprop, LAMB
      11b  Optimizers after Adam: Schedule-Free AdamW and SGD (no schedule horizon),
           Muon (orthogonalised momentum), Adafactor (factored second moments);
           wrappers around any optimizer: Lookahead, SAM and ASAM
       12  Learning-rate schedules (every torch.optim.lr_scheduler kind, D2L's, and WSD)
       13  Gradient checking
       14  Choosing an optimizer by name; saving and loading its state
       15  A multi-layer perceptron on MNIST: matrices, layers, loss, training (parameter
           groups, by layer for Muon and Adafactor), checkpoints
       16  (tutorial only: every optimizer with every schedule)
   APPENDICES (the machine: each tested to give the book's results)
        A  The fast matrix product: vector kernels chosen at run time
        B  The threaded epoch (one hidden layer)
        C  Subnormal numbers: ofs_set_flush_denormal
        D  MNIST's files: reading and writing IDX, synthetic digits

   COMPILE-TIME OPTIONS (define before including)
       OPTIMFS_IMPLEMENTATION  emit the implementation (one translation unit only)
       OPTIMFS_STATIC          make every function static (private to that file)
       OFS_REAL                the parameter type: float (default) or double
       OFS_MALLOC / OFS_FREE   your allocator; define both or neither. The arrays the
                               library hands out (ofs_buf.data, ofs_idx.x, ofs_dataset.x
                               and .y) start on 64-byte boundaries inside larger blocks:
                               release them with ofs_buf_free, ofs_idx_free and
                               ofs_dataset_free, never with free()
       OFS_ASSERT(x)           checks for programmer errors (default: assert)
       OFS_NO_STDIO            leave out everything that opens files
       OFS_NO_FLUSH_DENORMAL   ofs_set_flush_denormal(1) always refuses (Appendix C)
       OFS_NO_VECTORIZE_PRAGMA do not ask GCC for -O3 vectorization (chapter 0)

   CONVENTIONS
       Public names ofs_, private ofs__, macros OFS_. One global setting: the
       matrix kernel (ofs_gemm_set_kernel; chosen at the first product).
       Every function that can fail because of a user or a file returns an
       ofs_status and, when given a non-NULL ofs_err*, writes a sentence saying
       what was expected and what was found. Programmer errors (NULL state,
       mismatched shapes) trip OFS_ASSERT. The library never calls exit().

   LICENSE: MIT or public domain (Unlicense), at your choice. See the end of the file.
*/
#ifndef OPTIMFS_H
#define OPTIMFS_H

#include <stddef.h>
#include <stdint.h>
#ifndef OFS_NO_STDIO
#include <stdio.h>     /* FILE, for the functions that write text for gnuplot */
#endif

#ifndef OFS_REAL
#define OFS_REAL float
#endif
typedef OFS_REAL ofs_real;

#ifdef OPTIMFS_STATIC
#if defined(__GNUC__) || defined(__clang__)
#define OFSDEF static __attribute__((unused))
#else
#define OFSDEF static
#endif
#else
#define OFSDEF extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Chapter 0: foundations ------------------------------------------------ */

typedef enum ofs_status {
    OFS_OK = 0,
    OFS_ERR_ARG,        /* a setting or argument is out of range */
    OFS_ERR_NOMEM,      /* the allocator returned NULL */
    OFS_ERR_IO,         /* a file could not be opened, read or written */
    OFS_ERR_FORMAT,     /* a file's contents are not what they should be */
    OFS_ERR_MISMATCH,   /* a saved state belongs to another shape or algorithm */
    OFS_ERR_NONFINITE,  /* a NaN or an infinity where a number was needed */
    OFS_ERR_UNSUPPORTED /* this processor or build cannot do what was asked */
} ofs_status;

/* A status plus a human sentence; pass NULL where you do not want the text. The
   sentence always ends with its reason: a file name longer than 160 bytes appears
   in it shortened in the middle ("build/runs/aaaa...aaaa/last.ckpt"), so that
   the start of the path, the file's own name and the reason all fit. */
#define OFS_ERR_MSG_SIZE 1024
typedef struct ofs_err {
    ofs_status status;
    char msg[OFS_ERR_MSG_SIZE];
} ofs_err;

OFSDEF const char *ofs_status_string(ofs_status s);   /* "invalid argument", ... */

/* Random numbers: xoshiro256** seeded by splitmix64. The same seed gives the
   same sequence on every platform. */
typedef struct ofs_rng { uint64_t s[4]; } ofs_rng;
OFSDEF void     ofs_rng_seed(ofs_rng *r, uint64_t seed);
OFSDEF uint64_t ofs_rng_u64(ofs_rng *r);
OFSDEF double   ofs_rng_uniform(ofs_rng *r);            /* [0, 1), 53 random bits */
OFSDEF uint32_t ofs_rng_below(ofs_rng *r, uint32_t n);  /* uniform in [0, n), unbiased */
OFSDEF double   ofs_rng_normal(ofs_rng *r);             /* N(0, 1), polar method */
OFSDEF void     ofs_rng_shuffle(ofs_rng *r, uint32_t *a, size_t n); /* Fisher-Yates */

/* Serialization: a growing byte buffer to write into, a cursor to read from.
   Integers and doubles are stored little-endian, whatever the host. */
typedef struct ofs_buf { unsigned char *data; size_t len, cap; int failed; } ofs_buf;
typedef struct ofs_reader { const unsigned char *data; size_t len, pos; int failed; } ofs_reader;
OFSDEF void     ofs_buf_free(ofs_buf *b);
OFSDEF void     ofs_put_u64(ofs_buf *b, uint64_t v);
OFSDEF void     ofs_put_f64(ofs_buf *b, double v);
OFSDEF void     ofs_put_reals(ofs_buf *b, const ofs_real *x, size_t n);
OFSDEF uint64_t ofs_get_u64(ofs_reader *r);
OFSDEF double   ofs_get_f64(ofs_reader *r);
OFSDEF void     ofs_get_reals(ofs_reader *r, ofs_real *x, size_t n);
OFSDEF uint32_t ofs_crc32(const unsigned char *p, size_t n);
#ifndef OFS_NO_STDIO
/* A checked file: magic "OPTIMFS1", kind tag, payload length, payload, CRC-32.
   Every file the library writes goes to a temporary file of its own beside PATH,
   is synced, and then renamed over PATH, whose directory is synced: a killed
   process, a power loss or a concurrent writer never leaves PATH half-written, and a
   failed write (its cause named) never replaces a good file. PATH must be a regular
   file or not exist: a directory, a device, a FIFO or a symbolic link is refused.
   Reading takes regular files only, checks the head before allocating, then every
   field and the checksum. Chapter 0 of the implementation says exactly what is
   guaranteed. */
OFSDEF ofs_status ofs_file_save(const char *path, uint32_t kind, const ofs_buf *payload, ofs_err *err);
/* Write len bytes as the whole file path, with the same guarantees as a save (any
   file: a program's text output, say), without ofs_file_save's head and checksum. */
OFSDEF ofs_status ofs_file_write(const char *path, const void *data, size_t len, ofs_err *err);
/* Could a file be saved to path now? The destination is checked as a save checks it,
   and a temporary file is created beside it and removed at once; nothing else is
   touched. For programs that must refuse an output path before a long run. */
OFSDEF ofs_status ofs_file_check_dest(const char *path, ofs_err *err);
OFSDEF ofs_status ofs_file_load(const char *path, uint32_t kind, ofs_buf *payload, ofs_err *err);
/* Check a whole file's bytes in memory; on success *payload points inside data. */
OFSDEF ofs_status ofs_file_parse(const unsigned char *data, size_t size, uint32_t kind, const char *name,
                                 const unsigned char **payload, size_t *payload_len, ofs_err *err);
#endif

/* ---- Chapters 1-2: toy objectives, convexity -------------------------------- */

typedef enum ofs_toy_kind {
    OFS_TOY_SQUARE,      /* f(x) = x^2                               (1-D) */
    OFS_TOY_XCOS,        /* f(x) = x cos(a x)        (D2L: a = pi, 0.15 pi) */
    OFS_TOY_COSH,        /* f(x) = cosh(a x)                 (Newton: a = 0.5) */
    OFS_TOY_TANH,        /* f(x) = tanh(x)             (vanishing gradients) */
    OFS_TOY_CUBE,        /* f(x) = x^3                         (saddle at 0) */
    OFS_TOY_SADDLE,      /* f(x,y) = x^2 - y^2                          (2-D) */
    OFS_TOY_QUAD,        /* f(x,y) = a x^2 + b y^2   (1,2) and (0.1,2) in D2L */
    OFS_TOY_ROSENBROCK,  /* f(x,y) = (a - x)^2 + b (y - x^2)^2   (a=1, b=100) */
    OFS_TOY_BEALE,       /* (1.5-x+xy)^2 + (2.25-x+xy^2)^2 + (2.625-x+xy^3)^2 */
    OFS_TOY_HIMMELBLAU,  /* (x^2+y-11)^2 + (x+y^2-7)^2         (four minima) */
    OFS_TOY_COUNT
} ofs_toy_kind;

typedef struct ofs_toy { ofs_toy_kind kind; double a, b; } ofs_toy;

OFSDEF ofs_toy     ofs_toy_make(ofs_toy_kind kind);   /* with the usual a, b */
OFSDEF int         ofs_toy_dim(const ofs_toy *t);     /* 1 or 2 */
OFSDEF const char *ofs_toy_name(const ofs_toy *t);
/* f(x); also the gradient (dim values) and the Hessian (dim*dim, row-major)
   where the pointers are not NULL. */
OFSDEF double ofs_toy_eval(const ofs_toy *t, const double *x, double *grad, double *hess);
/* Project x (n values) onto the ball of radius r around c (c NULL: the origin). */
OFSDEF void   ofs_project_ball(double *x, size_t n, const double *c, double r);
#ifndef OFS_NO_STDIO
/* Contour data of a 2-D toy for gnuplot: f at n1 x n2 points spread evenly over
   [box[0], box[1]] x [box[2], box[3]] (ends included), one "x1 x2 f" row each (%.6g),
   a blank line after each value of x1, and one comment line first. With log10_f the
   third column is log10(f + 1e-12), for functions that span many decades. */
OFSDEF ofs_status ofs_toy_grid_save(const char *path, const ofs_toy *t, const double box[4], int n1, int n2,
                                    int log10_f, ofs_err *err);
#endif

/* ---- Chapters 3, 7-11, 14: the optimizers ------------------------------------ */

typedef enum ofs_optim_kind {
    OFS_SGD, OFS_ADAGRAD, OFS_RMSPROP, OFS_ADADELTA, OFS_ADAM, OFS_ADAMW, OFS_ADAMAX,
    OFS_NADAM, OFS_RADAM, OFS_LION, OFS_YOGI, OFS_LAMB, OFS_ADABELIEF, OFS_RPROP, OFS_ASGD,
    OFS_ADOPT, OFS_SFADAMW, OFS_SFSGD, OFS_MUON, OFS_ADAFACTOR, OFS_OPTIM_COUNT
} ofs_optim_kind;

/* One configuration for every algorithm; each reads the fields it needs at
   every step, so a scheduler may change lr (or momentum, beta1) between steps. */
typedef struct ofs_optim_config {
    ofs_optim_kind kind;
    double lr;             /* learning rate */
    double weight_decay;   /* lambda: L2 (added to g) or decoupled; see each chapter */
    double momentum;       /* SGD, RMSprop: mu */
    double dampening;      /* SGD: tau */
    double alpha;          /* RMSprop: smoothing of g^2; ASGD: the power of eta's decay */
    double rho;            /* Adadelta: smoothing */
    double beta1, beta2;   /* Adam family, Lion, Yogi, LAMB, AdaBelief */
    double eps;            /* the small number in the denominator */
    double eps_root;       /* Yogi, LAMB, AdaBelief: added inside the square root */
    double lr_decay;       /* Adagrad */
    double initial_accumulator_value; /* Adagrad: s0; Yogi: m0 = v0 */
    double momentum_decay; /* NAdam: psi */
    double etaminus, etaplus;            /* Rprop: step-size factors after a sign change / none */
    double step_size_min, step_size_max; /* Rprop: the step sizes' bounds */
    double lambd, t0;      /* ASGD: eta's decay and the step after which averaging starts */
    double warmup_steps;   /* Schedule-Free: steps of linear lr warmup (0: none) */
    double r, weight_lr_power; /* Schedule-Free: the average's weights t^r lr_max^weight_lr_power */
    double ns_steps;       /* Muon: Newton-Schulz iterations (a whole number, 0 to 99) */
    double beta2_decay;    /* Adafactor: tau, the second moments' weight 1 - beta2_t = t^tau */
    double eps1, eps2;     /* Adafactor: floor of sqrt(v) (and of the row mean), floor of RMS(theta) */
    double d;              /* Adafactor: the update's RMS is clipped to d */
    int nesterov;          /* SGD */
    int maximize;          /* every algorithm: ascend instead of descend */
    int amsgrad;           /* Adam, AdamW */
    int centered;          /* RMSprop */
    int decoupled_weight_decay; /* Adam, NAdam, RAdam, ADOPT: decay as AdamW does */
    int eps_inside_sqrt;   /* Adagrad, RMSprop: D2L's eta/sqrt(s+eps) */
    int ema_momentum;      /* SGD: v = mu v + (1-mu) g (Ng's course; D2L uses v = mu v + g) */
    int match_rms_adamw;   /* Muon: lr 0.2 sqrt(max(rows, cols)) (Moonshot's) instead of sqrt(max(1, rows/cols)) */
} ofs_optim_config;

/* The state of one optimizer over n parameters: a flat array, or a rows x cols
   matrix stored row by row (ofs_optim_init_shape), which Muon needs and Adafactor
   factors. Several states over slices of one buffer make parameter groups (say, no
   weight decay on biases; chapter 15's trainer makes one per weight matrix). */
/* Every step counter (an optimizer's t, a trainer's step and epoch, a plateau's
   evaluations) stays at most 2^53, where a count still converts to double exactly;
   the step that would pass it is refused, and a file holding more is refused. */
#define OFS_MAX_STEPS ((int64_t)1 << 53)

typedef struct ofs_optim {
    ofs_optim_config cfg;  /* change cfg.lr freely between steps */
    size_t n;
    int64_t t;             /* steps taken */
    double mu_product;     /* NAdam: running product of mu_t */
    double eta;            /* ASGD: the step size of the next step (torch's eta) */
    double lr_max;         /* Schedule-Free: the largest (warmed-up) lr so far; 0 before a step */
    double weight_sum;     /* Schedule-Free: the sum of the average's weights so far */
    size_t rows, cols;     /* the shape: rows x cols = n, or 0 x 0 for a flat array */
    ofs_real *s[3];        /* moment arrays, owned; NULL where unused; ofs_optim_state_size values each */
    ofs_real *work;        /* Muon's Newton-Schulz workspace, owned (not state); NULL for the others */
} ofs_optim;

OFSDEF ofs_optim_config ofs_optim_defaults(ofs_optim_kind kind);   /* PyTorch's (optax's) */
OFSDEF const char *ofs_optim_name(ofs_optim_kind kind);            /* "adamw" */
OFSDEF ofs_status  ofs_optim_kind_from_name(const char *name, ofs_optim_kind *kind, ofs_err *err);
/* Set one hyperparameter by its field name ("lr", "beta1", "nesterov", ...). */
OFSDEF ofs_status  ofs_optim_config_set(ofs_optim_config *cfg, const char *key, double value, ofs_err *err);
OFSDEF ofs_status  ofs_optim_config_get(const ofs_optim_config *cfg, const char *key, double *value, ofs_err *err);
/* The configuration's field names, i = 0, 1, ... (NULL past the last): the numbers
   first, then the 0/1 flags. ofs_optim_reads: 1 if kind's update reads that field
   (with some value of the others), 0 if no setting of it changes anything. */
OFSDEF const char *ofs_optim_field(int i);
OFSDEF int         ofs_optim_reads(ofs_optim_kind kind, const char *field);
OFSDEF ofs_status  ofs_optim_validate(const ofs_optim_config *cfg, ofs_err *err);
OFSDEF ofs_status  ofs_optim_init(ofs_optim *o, const ofs_optim_config *cfg, size_t n, ofs_err *err);
/* The same for n parameters that form a rows x cols matrix, row by row (rows x cols
   must be n; 0 x 0: a flat array, as ofs_optim_init). Muon refuses a flat array and a
   matrix with a side below 2; Adafactor keeps a matrix's second moments as a row and a
   column factor (rows + cols numbers), and a flat array's unfactored, as torch does a
   1-D tensor's; the element-wise algorithms ignore the shape. */
OFSDEF ofs_status  ofs_optim_init_shape(ofs_optim *o, const ofs_optim_config *cfg, size_t n, size_t rows, size_t cols,
                                        ofs_err *err);
/* 2: the algorithm needs a matrix (Muon); 1: it uses one when given (Adafactor); 0: no. */
OFSDEF int         ofs_optim_wants_shape(ofs_optim_kind kind);
/* The number of values in o->s[k] (n, or rows + cols for Adafactor's factors; 0: unused). */
OFSDEF size_t      ofs_optim_state_size(const ofs_optim *o, int k);
/* One update in place. With OpenMP, an array of more than 32768 elements is cut into
   one slice per thread (every algorithm but LAMB; the same bits on any number of
   threads); called from inside a parallel region, the step runs on the calling thread. */
OFSDEF ofs_status  ofs_optim_step(ofs_optim *o, ofs_real *params, const ofs_real *grads, ofs_err *err);
OFSDEF void        ofs_optim_reset(ofs_optim *o);   /* back to step 0, moments as at init */
/* ASGD's running average of the parameters (torch's ax; n values, to evaluate the
   model with), or NULL for an algorithm that keeps none. */
OFSDEF const ofs_real *ofs_optim_averaged(const ofs_optim *o);
/* The weights to evaluate the model with, written to out (n values, not params):
   Schedule-Free's x (chapter 11b: params hold y, where gradients are taken), ASGD's
   average, and for every other algorithm (or before the first step) params itself. */
OFSDEF void        ofs_optim_eval_params(const ofs_optim *o, const ofs_real *params, ofs_real *out);
OFSDEF void        ofs_optim_free(ofs_optim *o);
OFSDEF void        ofs_optim_save(const ofs_optim *o, ofs_buf *b);
/* Every field read is checked (hyperparameters as ofs_optim_validate, t, the NAdam
   product, each moment finite and >= 0 where it holds squares); a refused state
   changes nothing in o. */
OFSDEF ofs_status  ofs_optim_load(ofs_optim *o, ofs_reader *r, ofs_err *err);
#ifndef OFS_NO_STDIO
/* The file functions refuse to write a state that loading would refuse (a moment that
   is not finite: OFS_ERR_NONFINITE, nothing written) and name the file in messages. */
OFSDEF ofs_status  ofs_optim_save_file(const ofs_optim *o, const char *path, ofs_err *err);
OFSDEF ofs_status  ofs_optim_load_file(ofs_optim *o, const char *path, ofs_err *err);
#endif

/* Keeping a step sane (chapter 3): PyTorch's clip_grad_norm_ and clip_grad_value_,
   and a finiteness check that names the step and the element where it failed. */
OFSDEF ofs_status ofs_clip_grad_norm(ofs_real *g, size_t n, double max_norm, double norm_type,
                                     double *total_norm, ofs_err *err);
OFSDEF void       ofs_clip_grad_value(ofs_real *g, size_t n, double clip_value);
OFSDEF ofs_status ofs_check_finite(const ofs_real *x, size_t n, const char *what, int64_t step, ofs_err *err);

/* An optimizer on a toy objective (chapter 3; chapters 7-11 and 14 draw these paths):
   `steps` steps of cfg on t from x (ofs_toy_dim(t) values), which ends as the last
   iterate. path (NULL: not kept) receives steps + 1 rows of dim + 1 doubles, the
   iterate x_k and f(x_k) for k = 0 .. steps. A diverging run is recorded as it goes
   (inf, NaN), not refused. The iterates are the optimizer's ofs_real parameters: in
   float, x is rounded to float first. */
OFSDEF ofs_status ofs_toy_trace(const ofs_toy *t, const ofs_optim_config *cfg, double *x, int steps,
                                double *path, ofs_err *err);
#ifndef OFS_NO_STDIO
/* Such a path as one gnuplot data block: a row "k x1 [x2] f" (%.10g) for k = 0 .. steps,
   then two blank lines, so that the next block written to f is the next `index`. */
OFSDEF ofs_status ofs_toy_trace_write(FILE *f, const ofs_toy *t, const double *path, int steps, ofs_err *err);
#endif

/* ---- Chapter 4: Newton's method ------------------------------------------------ */
/* x <- x - eta (H + damping I)^-1 grad f(x), for a 1-D or 2-D toy objective. */
OFSDEF ofs_status ofs_newton_step(const ofs_toy *t, double *x, double eta, double damping, ofs_err *err);

/* ---- Chapter 4b: quasi-Newton: L-BFGS ------------------------------------------ */
/* torch.optim.LBFGS: one ofs_lbfgs_step is one optimizer.step(closure), up to max_iter
   inner iterations, each evaluating the objective through the closure. */

/* The objective, for a method that evaluates it itself: return f(x) and write its
   gradient (n values) into grad. x is the point to evaluate: the caller's array, or
   a trial point of the line search in a buffer of the optimizer's own. */
typedef double (*ofs_closure)(const ofs_real *x, ofs_real *grad, void *ctx);

typedef enum ofs_line_search { OFS_LS_NONE, OFS_LS_STRONG_WOLFE, OFS_LS_COUNT } ofs_line_search;

typedef struct ofs_lbfgs_config {     /* torch's defaults in brackets */
    double lr;                 /* [1] the step length t tried first (see chapter 4b) */
    int max_iter;              /* [20] inner iterations per step */
    int max_eval;              /* [0: max_iter * 5 / 4, torch's max_iter * 5 // 4] evaluations per step */
    double tolerance_grad;     /* [1e-7] stop when max_i |g_i| <= tolerance_grad */
    double tolerance_change;   /* [1e-9] stop when g.d, max_i |t d_i| or the loss change fall below it */
    int history_size;          /* [100] curvature pairs (s, y) kept: m */
    ofs_line_search line_search; /* [OFS_LS_NONE] torch's line_search_fn None, or "strong_wolfe" */
} ofs_lbfgs_config;

/* Why the last step returned, in the order the step checks (names as printed). */
typedef enum ofs_lbfgs_stop {
    OFS_LBFGS_NONE,              /* "none": no step yet (inside a step: no rule has fired) */
    OFS_LBFGS_TOLERANCE_GRAD,    /* "tolerance_grad": max |g_i| <= tolerance_grad */
    OFS_LBFGS_NOT_DESCENT,       /* "not_descent": g.d > -tolerance_change, nothing moved */
    OFS_LBFGS_MAX_ITER,          /* "max_iter" */
    OFS_LBFGS_MAX_EVAL,          /* "max_eval": the step's evaluations reached max_eval */
    OFS_LBFGS_TOLERANCE_CHANGE_X,/* "tolerance_change_x": max |t d_i| <= tolerance_change */
    OFS_LBFGS_TOLERANCE_CHANGE_F,/* "tolerance_change_f": |f - f_prev| < tolerance_change */
    OFS_LBFGS_FAILED,            /* "failed": the step returned an error */
    OFS_LBFGS_STOP_COUNT
} ofs_lbfgs_stop;

/* The state: everything torch keeps between step() calls, so that successive steps
   continue as torch's do. The history is two ring buffers of m = history_size pairs. */
typedef struct ofs_lbfgs {
    ofs_lbfgs_config cfg;      /* change lr, max_iter, max_eval, tolerances, line_search freely */
    size_t n;
    int m;                     /* history_size at init: the rings' capacity */
    int64_t n_iter;            /* inner iterations over all steps (torch: state['n_iter']) */
    int64_t func_evals;        /* closure calls over all steps (state['func_evals']) */
    int64_t step_iters, step_evals; /* of the last step alone */
    ofs_lbfgs_stop stop;       /* why the last step returned */
    double t;                  /* the last step length (state['t']) */
    double prev_loss;          /* the loss at the start of the last iteration */
    ofs_real H_diag;           /* gamma = s.y / y.y of the newest pair, 1 before any */
    int hist_len, hist_head;   /* pairs kept, and the ring slot of the oldest */
    int has_prev;              /* d, t and prev_grad hold an iteration (torch: not None) */
    ofs_real *d;               /* the last direction (n) */
    ofs_real *prev_grad;       /* the gradient at the start of the last iteration (n) */
    ofs_real *old_dirs;        /* y_i = g_{i+1} - g_i, m rows of n (torch's old_dirs) */
    ofs_real *old_stps;        /* s_i = t_i d_i, m rows of n (old_stps) */
    ofs_real *ro;              /* rho_i = 1 / (y_i.s_i), m */
    ofs_real *al;              /* the two-loop's a_i, m (scratch) */
    ofs_real *work;            /* scratch: the gradient, a trial point, four line-search gradients */
    /* Called after each inner iteration that moved x (NULL: none), with the step's ctx;
       loss is f(x), or NaN where the step did not evaluate it (the last iteration of
       a step without line search: torch does not re-evaluate there). */
    void (*monitor)(const struct ofs_lbfgs *o, const ofs_real *x, double loss, void *ctx);
} ofs_lbfgs;

OFSDEF ofs_lbfgs_config ofs_lbfgs_defaults(void);                        /* torch's */
OFSDEF const char *ofs_lbfgs_line_search_name(ofs_line_search ls);       /* "none", "strong_wolfe" */
OFSDEF ofs_status  ofs_lbfgs_line_search_from_name(const char *name, ofs_line_search *ls, ofs_err *err);
OFSDEF const char *ofs_lbfgs_stop_name(ofs_lbfgs_stop stop);             /* "max_iter", ... */
OFSDEF ofs_status  ofs_lbfgs_validate(const ofs_lbfgs_config *cfg, ofs_err *err);
/* Allocates (2 m + 8) n + 2 m reals (m = history_size), in one block: the only allocation. */
OFSDEF ofs_status  ofs_lbfgs_init(ofs_lbfgs *o, const ofs_lbfgs_config *cfg, size_t n, ofs_err *err);
/* One torch step(closure): evaluates f at x, then up to max_iter iterations; x is
   updated in place, *loss (may be NULL) is the loss at x before the step, as torch
   returns it; o->stop says why it returned, o->step_evals and o->func_evals count
   the closure's calls. A closure that returns a non-finite loss or writes a
   non-finite gradient ends the step with OFS_ERR_NONFINITE, naming it; x is then the
   last point where the closure returned finite numbers (never a half-updated array),
   and the state stays finite, so a further step is possible. A direction or trial
   point that overflows is refused the same way (x unchanged; an overflowing direction
   also resets the state, as ofs_lbfgs_reset). */
OFSDEF ofs_status  ofs_lbfgs_step(ofs_lbfgs *o, ofs_real *x, ofs_closure f, void *ctx, double *loss, ofs_err *err);
OFSDEF void        ofs_lbfgs_reset(ofs_lbfgs *o);   /* forget the history and the counters */
OFSDEF void        ofs_lbfgs_free(ofs_lbfgs *o);
/* The whole state (settings, counters, d, t, the pairs), so that a resumed run
   continues bit for bit. Loading checks every field and changes nothing in o when it
   refuses; the state must have been saved from one of the same n and history_size. */
OFSDEF void        ofs_lbfgs_save(const ofs_lbfgs *o, ofs_buf *b);
OFSDEF ofs_status  ofs_lbfgs_load(ofs_lbfgs *o, ofs_reader *r, ofs_err *err);

/* ---- Chapter 5: weight averaging (SWA, EMA) ----------------------------------------- */
/* A running average of a parameter array, as torch.optim.swa_utils.AveragedModel:
   the first update copies; then decay = 0 is SWA's equal-weight mean of all the
   updates, decay in (0, 1) an exponential moving average, avg <- lerp(avg, p, 1 - decay). */
typedef struct ofs_average {
    size_t n;
    double decay;          /* 0: SWA; in (0, 1): EMA */
    int64_t count;         /* updates so far (torch's n_averaged) */
    ofs_real *avg;         /* n values, owned: evaluate the model with these */
} ofs_average;
OFSDEF ofs_status ofs_average_init(ofs_average *a, size_t n, double decay, ofs_err *err);
OFSDEF ofs_status ofs_average_update(ofs_average *a, const ofs_real *params, ofs_err *err);
OFSDEF void       ofs_average_free(ofs_average *a);
OFSDEF void       ofs_average_save(const ofs_average *a, ofs_buf *b);
/* Refuses another n or decay (OFS_ERR_MISMATCH), a count outside [0, 2^53] or a value
   that is not finite (OFS_ERR_FORMAT); a refused state changes nothing. */
OFSDEF ofs_status ofs_average_load(ofs_average *a, ofs_reader *r, ofs_err *err);

/* ---- Chapter 11b: wrappers around any optimizer: Lookahead, SAM and ASAM ------ */
/* Lookahead (Zhang et al. 2019): k steps of the base optimizer (the fast weights),
   then the slow weights move a fraction alpha towards them and the fast weights
   restart from there. The base optimizer's state (moments, t) is left as it is. */
typedef struct ofs_lookahead_config {
    int k;                 /* [5] base steps per sync, >= 1 (upstream's la_steps) */
    double alpha;          /* [0.8] the slow weights' step towards the fast, in (0, 1] (la_alpha) */
} ofs_lookahead_config;
typedef struct ofs_lookahead {
    ofs_lookahead_config cfg;  /* fixed after init: a saved state must have the same */
    size_t n;
    int64_t count;         /* base steps since the last sync, 0 .. k-1 (upstream's _la_step) */
    ofs_real *slow;        /* phi, n values, owned: a copy of the parameters at init; the
                              weights to evaluate (params equal them after steps k, 2k, ...) */
} ofs_lookahead;
OFSDEF ofs_lookahead_config ofs_lookahead_defaults(void);             /* the authors' code's */
OFSDEF ofs_status ofs_lookahead_validate(const ofs_lookahead_config *c, ofs_err *err);
/* The slow weights start as a copy of params (n values). */
OFSDEF ofs_status ofs_lookahead_init(ofs_lookahead *la, const ofs_lookahead_config *c, const ofs_real *params,
                                     size_t n, ofs_err *err);
/* One step: ofs_optim_step(base, params, grads), then the sync when count reaches k.
   base must be over the same n; a gradient that is not finite is refused with
   OFS_ERR_NONFINITE before anything changes. */
OFSDEF ofs_status ofs_lookahead_step(ofs_lookahead *la, ofs_optim *base, ofs_real *params, const ofs_real *grads,
                                     ofs_err *err);
/* The second half alone, for a caller that stepped its optimizers itself (several
   groups over one array, ofs_sam_step, a trainer): count += 1, and at k the sync.
   A sync refuses parameters that are not finite (OFS_ERR_NONFINITE; slow and count
   unchanged), so the slow weights never take a NaN. */
OFSDEF ofs_status ofs_lookahead_after_step(ofs_lookahead *la, ofs_real *params, ofs_err *err);
OFSDEF void       ofs_lookahead_free(ofs_lookahead *la);
OFSDEF void       ofs_lookahead_save(const ofs_lookahead *la, ofs_buf *b);   /* n, k, alpha, count, slow */
/* Refuses another n, k or alpha (OFS_ERR_MISMATCH), a count outside [0, k) or a slow
   weight that is not finite (OFS_ERR_FORMAT); a refused state changes nothing. */
OFSDEF ofs_status ofs_lookahead_load(ofs_lookahead *la, ofs_reader *r, ofs_err *err);

/* SAM (Foret et al. 2020) and ASAM (Kwon et al. 2021): the gradient is taken at the
   worst point of a ball of radius rho around w (to first order), w + e, and the base
   optimizer steps w with it. Two gradient evaluations per step; nothing carries over
   from one step to the next but the settings. */
typedef struct ofs_sam_config {
    double rho;            /* [0.05] the ball's radius, in [0, 1e6]; 0: the base optimizer itself */
    int adaptive;          /* [0] 0: SAM; 1: ASAM, the ball scaled by T = |w| + eta */
    double eta;            /* [0.01] ASAM's offset in T, in [0, 1e6] (read only when adaptive) */
    double eps;            /* [1e-12] added to the norm, in [0, 1]: davda54's 1e-12, ASAM's code 1e-16 */
} ofs_sam_config;
typedef struct ofs_sam {
    ofs_sam_config cfg;    /* change freely between steps */
    size_t n;
    size_t adapt_n;        /* ASAM: T = |w| + eta on elements [0, adapt_n), T = 1 after (the
                              biases, in ofs_mlp's layout); n after init */
    double norm;           /* ||T g||_2 of the last perturbation */
    int perturbed;         /* 1 between ofs_sam_perturb and ofs_sam_restore */
    ofs_real *x;           /* n: ofs_sam_step's point w + e; w itself while perturbed */
    ofs_real *g, *g2;      /* n each: the gradients at w and at w + e (ofs_sam_step) */
} ofs_sam;
OFSDEF ofs_sam_config ofs_sam_defaults(void);
OFSDEF ofs_status ofs_sam_validate(const ofs_sam_config *c, ofs_err *err);
OFSDEF ofs_status ofs_sam_init(ofs_sam *s, const ofs_sam_config *c, size_t n, ofs_err *err);
/* One step. grads: the gradient at params (NULL: the step evaluates f there first).
   f is called at x = params + e (in s->x, writing s->g2), and then
   ofs_optim_step(base, params, s->g2): params are never moved before the base step,
   so its weight decay sees w. A non-finite gradient or loss (at w or at x) or point x
   is refused with OFS_ERR_NONFINITE, and then nothing has changed (params, base).
   *loss (may be NULL): f at x, the sharpness-aware loss. */
OFSDEF ofs_status ofs_sam_step(ofs_sam *s, ofs_optim *base, ofs_real *params, const ofs_real *grads,
                               ofs_closure f, void *ctx, double *loss, ofs_err *err);
/* The same in two halves around the caller's own second evaluation:
       ofs_sam_perturb(&s, w, g, err);    w <- w + e, the old w kept in s.x
       ... the gradient g2 at w (now w + e) ...
       ofs_sam_restore(&s, w, err);       w <- the old w, bit for bit
       ofs_optim_step(&base, w, g2, err);
   perturb refuses a non-finite g or w + e (nothing changed); restore refuses a call
   that does not follow a perturb. */
OFSDEF ofs_status ofs_sam_perturb(ofs_sam *s, ofs_real *params, const ofs_real *grads, ofs_err *err);
OFSDEF ofs_status ofs_sam_restore(ofs_sam *s, ofs_real *params, ofs_err *err);
OFSDEF void       ofs_sam_free(ofs_sam *s);
OFSDEF void       ofs_sam_save(const ofs_sam *s, ofs_buf *b);   /* n, adapt_n, rho, adaptive, eta, eps */
/* Refuses another n, adapt_n or setting (OFS_ERR_MISMATCH) or settings out of range
   (OFS_ERR_FORMAT); a refused state changes nothing. */
OFSDEF ofs_status ofs_sam_load(ofs_sam *s, ofs_reader *r, ofs_err *err);

/* ---- Chapter 12: learning-rate schedules ---------------------------------------- */
/* lr(k) is the rate for the optimizer step that follows k steps (k = 0: the first);
   PyTorch's convention. eta0 is base_lr; every formula below is for k after warmup. */
typedef enum ofs_sched_kind {
    OFS_SCHED_CONSTANT,        /* eta0                                                    */
    OFS_SCHED_CONSTANT_FACTOR, /* ConstantLR: eta0 (k < total_iters ? factor : 1)         */
    OFS_SCHED_LINEAR,          /* LinearLR: eta0 (start + (end - start) min(k, T) / T)     */
    OFS_SCHED_STEP,            /* StepLR: eta0 gamma^floor(k / step_size)                 */
    OFS_SCHED_MULTISTEP,       /* MultiStepLR: eta0 gamma^(number of milestones <= k)     */
    OFS_SCHED_EXPONENTIAL,     /* ExponentialLR: eta0 gamma^k (D2L: gamma = e^-lambda)    */
    OFS_SCHED_FACTOR,          /* D2L's FactorScheduler: max(eta_min, eta0 gamma^k)       */
    OFS_SCHED_POLYNOMIAL,      /* PolynomialLR: eta0 (1 - min(k, T) / T)^power            */
    OFS_SCHED_INVERSE_POWER,   /* D2L's polynomial decay: eta0 (beta k + 1)^-power        */
    OFS_SCHED_SQRT,            /* D2L's SquareRootScheduler: eta0 (k + 1)^-1/2            */
    OFS_SCHED_PIECEWISE,       /* eta0 values[number of milestones <= k]                  */
    OFS_SCHED_COSINE,          /* CosineAnnealingLR: periodic; hold = 1 stays at eta_min  */
    OFS_SCHED_COSINE_RESTARTS, /* CosineAnnealingWarmRestarts (SGDR)                      */
    OFS_SCHED_ONECYCLE,        /* OneCycleLR; base_lr is max_lr; cycles momentum or beta1 */
    OFS_SCHED_SEQUENTIAL,      /* SequentialLR: child i at k - milestones[i-1], from eta0 */
    OFS_SCHED_CHAINED,         /* ChainedScheduler: eta0 times the children's factors     */
    OFS_SCHED_CYCLIC,          /* CyclicLR: eta0 <-> max_lr in cycles; cycles momentum    */
    OFS_SCHED_LAMBDA,          /* LambdaLR: eta0 lr_lambda(k)                             */
    OFS_SCHED_MULTIPLICATIVE,  /* MultiplicativeLR: eta0 lr_lambda(1) ... lr_lambda(k)    */
    OFS_SCHED_SWALR,           /* SWALR: from eta0 to swa_lr in anneal_epochs, then held  */
    OFS_SCHED_WSD,             /* warmup-stable-decay: eta0, then a cooldown to eta_min   */
    OFS_SCHED_COUNT
} ofs_sched_kind;

/* CyclicLR's height scaling per cycle (chapter 12), unless a scale_fn is given. */
enum { OFS_CYCLIC_TRIANGULAR, OFS_CYCLIC_TRIANGULAR2, OFS_CYCLIC_EXP_RANGE };
/* WSD's cooldown shapes (chapter 12): 1 - p, (1 + cos(pi p)) / 2, 1 - sqrt(p), 1 - p^2. */
enum { OFS_WSD_LINEAR, OFS_WSD_COSINE, OFS_WSD_SQRT, OFS_WSD_SQUARE, OFS_WSD_SHAPES };

/* A schedule is a plain description; each kind reads the fields it names. Start from
   ofs_sched_defaults (PyTorch's defaults, D2L's for D2L's schedules). The arrays are the
   caller's and must outlive the schedule. */
typedef struct ofs_sched {
    ofs_sched_kind kind;
    double base_lr;              /* eta0: the optimizer's lr; onecycle: the peak, max_lr */
    double gamma;                /* step, multistep, exponential, factor: decay factor */
    double factor;               /* constant_factor: in (0, 1] */
    double start_factor, end_factor; /* linear: in [0, 1] */
    double power, beta;          /* polynomial: power; inverse_power: power (alpha), beta */
    double eta_min;              /* cosine, cosine_restarts, wsd: floor; factor: stop_factor_lr */
    int64_t step_size;           /* step */
    int64_t total_iters;         /* constant_factor, linear, polynomial */
    int64_t t_max;               /* cosine: steps from eta0 down to eta_min */
    int64_t t_0, t_mult;         /* cosine_restarts: first period, its growth factor */
    int hold;                    /* cosine: 1 stays at eta_min after t_max (D2L) */
    int64_t total_steps;         /* onecycle: the length of the cycle; wsd: of the run (after warmup) */
    double pct_start, div_factor, final_div_factor;   /* onecycle */
    double base_momentum, max_momentum;               /* onecycle: momentum range */
    int three_phase, anneal_linear, cycle_momentum;   /* onecycle: flags */
    int64_t warmup_steps;        /* any kind: linear warmup first (0: none) */
    double warmup_start;         /* the warmup rises from warmup_start eta0 to eta0 */
    const int64_t *milestones;   /* multistep, piecewise, sequential: n_milestones steps */
    int n_milestones;
    const double *values;        /* piecewise: n_milestones + 1 factors of eta0 */
    const struct ofs_sched *children;  /* sequential, chained */
    int n_children;
    double max_lr;               /* cyclic: the top of each cycle (base_lr is the bottom) */
    int64_t step_size_up, step_size_down; /* cyclic: steps up, steps down (0: as up) */
    int cyclic_mode;             /* cyclic: OFS_CYCLIC_TRIANGULAR, _TRIANGULAR2, _EXP_RANGE (gamma) */
    double (*scale_fn)(double x, void *ctx);      /* cyclic: NULL, or the height's scale at x */
    int scale_iterations;        /* cyclic with scale_fn: x = k (1) or the cycle number (0) */
    double (*lr_lambda)(int64_t k, void *ctx);    /* lambda, multiplicative: the factor at k */
    void *fn_ctx;                /* passed to scale_fn and lr_lambda */
    double swa_lr;               /* swalr: the rate it anneals to */
    int64_t anneal_epochs;       /* swalr: steps of the anneal (cos; linear with anneal_linear) */
    int64_t decay_steps;         /* wsd: the cooldown's length, the last steps of total_steps (0: by fraction) */
    double decay_fraction;       /* wsd with decay_steps = 0: the cooldown is floor(decay_fraction total_steps) */
    int wsd_shape;               /* wsd: OFS_WSD_LINEAR, _COSINE, _SQRT (1-sqrt) or _SQUARE (1-square) */
} ofs_sched;

OFSDEF ofs_sched   ofs_sched_defaults(ofs_sched_kind kind, double base_lr); /* required lengths are 0 */
OFSDEF const char *ofs_sched_name(ofs_sched_kind kind);                      /* "cosine" */
OFSDEF ofs_status  ofs_sched_kind_from_name(const char *name, ofs_sched_kind *kind, ofs_err *err);
/* Set a number by its field name ("t_max", "eta_min", ...), for command lines. */
OFSDEF ofs_status  ofs_sched_set(ofs_sched *s, const char *key, double value, ofs_err *err);
OFSDEF ofs_status  ofs_sched_validate(const ofs_sched *s, ofs_err *err);
/* Fit s to a run of total_steps steps, warmup included (D2L's and Hugging Face's
   convention): t_max, total_iters or total_steps become total_steps - warmup_steps
   (wsd: its total_steps; its cooldown stays decay_steps long, or decay_fraction of it). */
OFSDEF ofs_status  ofs_sched_set_run(ofs_sched *s, int64_t total_steps, ofs_err *err);
OFSDEF double      ofs_sched_lr(const ofs_sched *s, int64_t k);        /* closed form, k >= 0 */
/* 1 and *momentum when the schedule sets momentum (beta1) at step k (onecycle), else 0. */
OFSDEF int         ofs_sched_momentum(const ofs_sched *s, int64_t k, double *momentum);
/* Before optimizer step k+1: cfg->lr = lr(k), and momentum or beta1 where it is cycled. */
OFSDEF ofs_status  ofs_sched_apply(const ofs_sched *s, int64_t k, ofs_optim_config *cfg, ofs_err *err);

/* ReduceLROnPlateau: settings (PyTorch's names, defaults from ofs_plateau_defaults) and
   the state that ofs_plateau_step advances once per evaluation. */
typedef struct ofs_plateau {
    int mode_max;                /* 0: 'min' (a loss), 1: 'max' (an accuracy) */
    int threshold_abs;           /* 0: 'rel', 1: 'abs' */
    double factor;               /* lr <- max(lr factor, min_lr), factor in (0, 1) */
    double threshold, min_lr, eps;
    int64_t patience, cooldown;
    double best;                 /* state: best metric so far */
    int64_t bad_epochs, cooldown_counter, last_epoch;
} ofs_plateau;

OFSDEF ofs_plateau ofs_plateau_defaults(void);
OFSDEF ofs_status  ofs_plateau_validate(const ofs_plateau *p, ofs_err *err);
/* One evaluation: metric in, *lr lowered when the metric has stopped improving. */
OFSDEF ofs_status  ofs_plateau_step(ofs_plateau *p, double metric, double *lr, ofs_err *err);
OFSDEF void        ofs_plateau_save(const ofs_plateau *p, ofs_buf *b);
OFSDEF ofs_status  ofs_plateau_load(ofs_plateau *p, ofs_reader *r, ofs_err *err);

/* ---- Chapter 13: gradient checking --------------------------------------------- */

/* A function to check: returns f(x) for x (n doubles) and, when grad is not NULL,
   writes its gradient (n doubles). ctx is passed through untouched. */
typedef double (*ofs_objective)(const double *x, double *grad, void *ctx);

typedef struct ofs_gradcheck_result {
    double max_rel_err;   /* max over i of |a_i - n_i| / max(|a_i|, |n_i|, floor) */
    size_t worst;         /* the index i where it occurs */
    double analytic;      /* a_worst: the gradient f computed */
    double numeric;       /* n_worst: the central difference */
    double f;             /* f(x) */
} ofs_gradcheck_result;

/* The central difference (f(x + h e_i) - f(x - h e_i)) / 2h; x[i] is restored exactly. */
OFSDEF double ofs_fd_partial(ofs_objective f, void *ctx, double *x, size_t i, double h);
/* Compare f's gradient at x with central differences in every coordinate. grad is
   n doubles of workspace and receives the analytic gradient; x is perturbed one
   coordinate at a time and restored exactly. Fails on h <= 0 or a non-finite value. */
OFSDEF ofs_status ofs_gradcheck(ofs_objective f, void *ctx, double *x, size_t n, double h, double rel_floor,
                                double *grad, ofs_gradcheck_result *res, ofs_err *err);
/* A toy objective (ctx: const ofs_toy *) as an ofs_objective: f and its gradient. */
OFSDEF double ofs_toy_objective(const double *x, double *grad, void *toy);

/* ------------------------------------------------------------------ gemm API
   ofs_gemm: C = op(A) op(B) + beta C.
     C      M x N, row-major.
     op(A)  M x K: A stored row-major as M x K (trans_a 0) or as K x M (trans_a 1).
     op(B)  K x N: B stored row-major as K x N (trans_b 0) or as N x K (trans_b 1).
     beta   with beta == 0, C is write-only (its old contents, NaN included, are
            ignored); with K == 0, C becomes beta C.
   C must not overlap A or B. With OpenMP, a product of at least 10^6 multiply-adds
   is split over omp_get_max_threads() threads. No heap memory: each thread uses
   at most about 80 KB of stack for its packed panels (100 KB in double).
   The kernel is chosen once, at run time, for the processor: "avx512", "avx2"
   (x86-64 with GCC or Clang, whatever the compile flags), else "generic" (plain
   C, vectorized by the compiler as it can); "book" is chapter 15's plain loop.
   ofs_gemm_kernel() names the one in use; ofs_gemm_set_kernel(name) forces one
   ("auto": the best again), refusing a name the processor cannot run
   (OFS_ERR_UNSUPPORTED); it is process-wide: set it before starting threads.
   Kernels agree within float rounding; all but "book" add in the same order.
   ofs_gemm_ref: the same contract, each sum in double: slow, for tests. */
OFSDEF void ofs_gemm(int trans_a, int trans_b, int M, int N, int K, const ofs_real *A, const ofs_real *B, ofs_real beta,
                     ofs_real *C);
OFSDEF void ofs_gemm_ref(int trans_a, int trans_b, int M, int N, int K, const ofs_real *A, const ofs_real *B,
                         ofs_real beta, ofs_real *C);
OFSDEF const char *ofs_gemm_kernel(void);
OFSDEF ofs_status  ofs_gemm_set_kernel(const char *name, ofs_err *err);

/* Subnormal numbers, as torch.set_flush_denormal: on = 1 makes this thread and every
   OpenMP thread treat subnormal floats as zero (x86 MXCSR FTZ+DAZ, AArch64 FPCR FZ),
   which is faster on many processors and changes only results below 2^-126;
   on = 0 restores IEEE behaviour. Where the processor or compiler cannot, or an
   emulator ignores the setting (valgrind), on = 1 fails with OFS_ERR_UNSUPPORTED. */
#define OFS_HAVE_FLUSH_DENORMAL 1
OFSDEF ofs_status ofs_set_flush_denormal(int on, ofs_err *err);

/* ---- Chapter 15: matrices, layers, loss, the MLP, training, checkpoints ------- */

/* A row-major view of rows x cols numbers; it does not own them. */
typedef struct ofs_mat { ofs_real *data; int rows, cols; } ofs_mat;
OFSDEF ofs_mat ofs_mat_view(ofs_real *data, int rows, int cols);            /* {data, rows, cols} */
OFSDEF void ofs_mat_mul(ofs_mat C, ofs_mat A, ofs_mat B, ofs_real beta);    /* C = A B   + beta C */
OFSDEF void ofs_mat_mul_tn(ofs_mat C, ofs_mat A, ofs_mat B, ofs_real beta); /* C = A^T B + beta C */
OFSDEF void ofs_mat_mul_nt(ofs_mat C, ofs_mat A, ofs_mat B, ofs_real beta); /* C = A B^T + beta C */

typedef enum ofs_act { OFS_ACT_IDENTITY, OFS_ACT_RELU, OFS_ACT_TANH, OFS_ACT_SIGMOID, OFS_ACT_COUNT } ofs_act;
OFSDEF const char *ofs_act_name(ofs_act a);                          /* "relu" */
OFSDEF ofs_status  ofs_act_from_name(const char *name, ofs_act *a, ofs_err *err);
OFSDEF void ofs_act_forward(ofs_act a, ofs_real *x, size_t n);       /* x <- act(x) */
/* dy <- dy * act'(x), computed from the outputs y = act(x). */
OFSDEF void ofs_act_backward(ofs_act a, const ofs_real *y, ofs_real *dy, size_t n);
/* Fused forward: each row z of Z becomes act(z + bias) (bias NULL: act(z)). */
OFSDEF void ofs_bias_act_forward(ofs_mat Z, const ofs_real *bias, ofs_act a);
/* Fused backward: each row of dY becomes dY * act'(Y); then db += its column sums. */
OFSDEF void ofs_act_bias_backward(ofs_act a, ofs_mat Y, ofs_mat dY, ofs_real *db);

/* Mean softmax cross-entropy of the rows of logits against labels (log-sum-exp,
   in double). dlogits (NULL, or rows x cols, may be logits.data itself) receives
   the gradient of the mean loss: (softmax(z) - onehot(y)) / rows. */
OFSDEF double ofs_softmax_xent(ofs_mat logits, const unsigned char *labels, ofs_real *dlogits);
OFSDEF int    ofs_argmax(const ofs_real *x, int n);                  /* first largest */
OFSDEF size_t ofs_count_correct(ofs_mat logits, const unsigned char *labels);

#ifndef OFS_MLP_MAX_LAYERS
#define OFS_MLP_MAX_LAYERS 8   /* weight layers; define a larger number before including for deeper nets */
#endif

typedef enum ofs_init { OFS_INIT_HE, OFS_INIT_XAVIER } ofs_init;

/* A multi-layer perceptron: x -> act(x W1^T + b1) -> ... -> x WL^T + bL (the logits).
   Layer l's W is sizes[l+1] x sizes[l], row-major, as PyTorch's nn.Linear stores it:
   row j holds unit j's incoming weights, so a slice of units is a contiguous slice
   of W (what lets each thread own its units in training). All parameters live in one
   buffer, all the weights first, then all the biases:
       params = [W1 | W2 | ... | WL | b1 | b2 | ... | bL]
   so [0, nweights) is one optimizer group and [nweights, nparams) another. */
typedef struct ofs_mlp {
    int nlayers;                               /* L, the number of weight layers */
    int sizes[OFS_MLP_MAX_LAYERS + 1];         /* sizes[0] inputs, ..., sizes[L] outputs */
    ofs_act act;                               /* hidden activation; the last layer is linear */
    int max_batch;                             /* the workspace holds this many rows */
    size_t nparams, nweights;
    size_t w_off[OFS_MLP_MAX_LAYERS], b_off[OFS_MLP_MAX_LAYERS];  /* offsets into params */
    ofs_real *params, *grads;                  /* nparams each, owned */
    ofs_real *out[OFS_MLP_MAX_LAYERS];         /* each layer's output for the last forward */
    ofs_real *delta[2];                        /* backward scratch: dLoss/d(hidden) */
    ofs_real *dlogits;                         /* the loss gradient (ofs_mlp_loss_grad) */
    const ofs_real *input;                     /* the last forward's x (not owned) */
    int batch;                                 /* the last forward's row count */
    ofs_real *work;                            /* the one workspace block behind out/delta/dlogits */
} ofs_mlp;

/* sizes: nsizes layer widths (inputs, hidden..., outputs). Parameters start at 0. */
OFSDEF ofs_status ofs_mlp_create(ofs_mlp *m, const int *sizes, int nsizes, ofs_act hidden, int max_batch, ofs_err *err);
OFSDEF void ofs_mlp_free(ofs_mlp *m);
/* Weights from the seeded rng: He, N(0, 2/fan_in); or Xavier, U(-a, a) with
   a = sqrt(6/(fan_in + fan_out)). Biases 0. Each W is drawn input by input (its
   column 0 first, top to bottom, then column 1, ...). */
OFSDEF void ofs_mlp_randomize(ofs_mlp *m, ofs_init init, ofs_rng *rng);
OFSDEF void ofs_mlp_zero_grad(ofs_mlp *m);
/* Forward pass over batch rows of x (batch x sizes[0]); returns the logits
   (batch x sizes[L], inside m) and keeps what backward needs (x is not copied). */
OFSDEF const ofs_real *ofs_mlp_forward(ofs_mlp *m, const ofs_real *x, int batch);
/* Backward pass for the last forward: grads += dLoss/dparams, given dLoss/dlogits. */
OFSDEF void ofs_mlp_backward(ofs_mlp *m, const ofs_real *dlogits);
/* forward, mean softmax cross-entropy, backward (grads +=); returns the loss and,
   if correct is not NULL, the number of rows whose argmax is the label. */
OFSDEF double ofs_mlp_loss_grad(ofs_mlp *m, const ofs_real *x, const unsigned char *y, int batch, size_t *correct);
/* Mean loss over n rows (0 if y is NULL), in chunks of max_batch; correct and
   pred (n predicted classes) are written where not NULL. */
OFSDEF double ofs_mlp_evaluate(ofs_mlp *m, const ofs_real *x, const unsigned char *y, size_t n,
                               size_t *correct, unsigned char *pred);
/* The MLP's loss on one batch as an ofs_objective of its nparams parameters. */
typedef struct ofs_mlp_batch { ofs_mlp *mlp; const ofs_real *x; const unsigned char *y; int batch; } ofs_mlp_batch;
OFSDEF double ofs_mlp_objective(const double *theta, double *grad, void *batch);

/* Called before each optimizer step with the number of steps already taken, once
   per group: set cfg->lr (and momentum or beta1, if it cycles). */
typedef ofs_status (*ofs_schedule_fn)(int64_t step, ofs_optim_config *cfg, void *ctx, ofs_err *err);
/* The ofs_schedule_fn of any chapter 12 schedule, ctx a const ofs_sched*: it is
   ofs_sched_apply(ctx, step, cfg, err). t.schedule = ofs_sched_callback; t.schedule_ctx = &s; */
OFSDEF ofs_status ofs_sched_callback(int64_t step, ofs_optim_config *cfg, void *sched, ofs_err *err);

/* Minibatch training. Each epoch shuffles the n examples with the trainer's rng,
   and for each batch: loss_grad (overwriting the gradients: no zero_grad pass needed),
   schedule(step, cfg), optimizer step(s). With accumulate = k, one step takes k
   batches (micro-batches) and the mean gradient over all their rows: the gradient of
   one batch of k x batch rows, to rounding, in the memory of one batch. The schedule,
   the step counter, the average and the wrappers count steps, not micro-batches.
   decay_biases = 0 makes two groups: weights with cfg's weight decay, biases without.
   ofs_trainer_create_layers makes one group per weight matrix instead, each with its
   shape, then the biases' group (what Muon and Adafactor need).
   With one hidden layer (and element-wise optimizers) an epoch runs as one parallel
   region in which each thread owns a slice of the hidden units: the same numbers,
   bit for bit, on any number of threads. The schedule is called from one thread. */
#define OFS_TRAINER_MAX_GROUPS (OFS_MLP_MAX_LAYERS + 1)
typedef struct ofs_trainer {
    ofs_mlp *mlp;              /* the model (not owned) */
    int ngroups;               /* 1: one optimizer over all; 2: weights, then biases; L + 1: by layer */
    ofs_optim opt[OFS_TRAINER_MAX_GROUPS];      /* opt[g] steps params[offset[g] .. offset[g] + opt[g].n) */
    size_t offset[OFS_TRAINER_MAX_GROUPS];
    double lr_scale[OFS_TRAINER_MAX_GROUPS];    /* with a schedule, group g's lr is the schedule's times this */
    int batch;                 /* rows per micro-batch (the last one of an epoch may be smaller) */
    int accumulate;            /* micro-batches per step, >= 1 ([1]: a step per batch); the last step of
                                  an epoch may have fewer; accumulate x batch must fit an int */
    size_t n;                  /* examples per epoch */
    ofs_schedule_fn schedule;  /* NULL: keep opt[g].cfg as it is */
    void *schedule_ctx;
    int64_t epoch, step;       /* epochs completed, steps taken: the schedule's position */
    ofs_rng rng;               /* draws each epoch's order */
    uint32_t *order;           /* workspace: n indices, a batch of x and y, each row's loss */
    ofs_real *xb;
    unsigned char *yb;
    double *row_loss;
    ofs_real *ht, *g1t, *dw2t; /* one hidden layer: H, G1 and dW2 transposed (unit by unit) */
    double *phase;             /* NULL, or OFS_PHASES sums of seconds: see ofs_phase */
    ofs_average *average;      /* NULL, or the caller's average of all nparams parameters (chapter 5), */
    int64_t average_from, average_every;   /* updated after steps from + every, from + 2 every, ... */
    ofs_lookahead *lookahead;  /* NULL, or the caller's Lookahead over all nparams (chapter 11b, not
                                  owned): after each step's update, the sync when its count reaches k */
    ofs_sam *sam;              /* NULL, or the caller's SAM or ASAM over all nparams (not owned): two
                                  gradients per step, one norm over every group; an epoch sets its
                                  adapt_n to nweights (ASAM scales the weights, not the biases) */
    int averaging, syncing;    /* private: the current step updates the average; syncs Lookahead */
} ofs_trainer;

/* Where training time goes. When t.phase points at OFS_PHASES doubles, every epoch
   adds to each the wall-clock seconds the calling thread spent in that part of its
   steps, waits for the other threads included (omp_get_wtime with OpenMP, clock()
   without). make bench prints them. */
typedef enum ofs_phase {
    OFS_PHASE_COPY,       /* the batch's rows gathered into one block */
    OFS_PHASE_FORWARD,    /* the hidden layers' products, biases and activations */
    OFS_PHASE_LOSS,       /* the last layer's product, softmax cross-entropy and dLoss/dlogits */
    OFS_PHASE_BACKWARD,   /* the gradients */
    OFS_PHASE_UPDATE,     /* the schedule and the optimizer step (Appendix B's epoch calls the
                             schedule while the other threads compute gradients: BACKWARD) */
    OFS_PHASES
} ofs_phase;

typedef struct ofs_epoch_stats {
    double loss;       /* mean training loss over the epoch's batches (weighted by size) */
    double accuracy;   /* fraction of training examples classified right, as seen in training */
    double lr;         /* the last step's learning rate */
    int64_t steps;     /* steps in this epoch */
} ofs_epoch_stats;

/* rng: copied; its stream draws the epochs' orders (pass the one that initialised the model). */
OFSDEF ofs_status ofs_trainer_create(ofs_trainer *t, ofs_mlp *m, const ofs_optim_config *cfg, int decay_biases,
                                     int batch, size_t n, const ofs_rng *rng, ofs_err *err);
/* Groups by layer: W_l gets its own group, shaped sizes[l+1] x sizes[l] (rows: the layer's
   outputs, as nn.Linear), then the biases one group without weight decay. The hidden
   matrices W_2 .. W_{L-1} take `hidden` (NULL: cfg), the first and last layers cfg:
   Muon's recipe is hidden = Muon, cfg = AdamW. `hidden` needs L >= 3 weight layers (two
   hidden layers). Its groups' lr_scale is hidden->lr / cfg->lr, so that one schedule
   moves both rates, each from its own (torch's schedulers scale each group's lr). */
OFSDEF ofs_status ofs_trainer_create_layers(ofs_trainer *t, ofs_mlp *m, const ofs_optim_config *cfg,
                                            const ofs_optim_config *hidden, int batch, size_t n, const ofs_rng *rng,
                                            ofs_err *err);
OFSDEF void ofs_trainer_free(ofs_trainer *t);
/* One epoch over x (n x sizes[0]) and y. A non-finite loss stops it before that
   step's update, with OFS_ERR_NONFINITE and a message naming the step and epoch.
   With t.sam, a step is: the gradient at w (its loss is the one reported),
   ofs_sam_perturb, the gradient at w + e (both over the step's micro-batches),
   ofs_sam_restore, then the groups' steps with the second gradient. */
OFSDEF ofs_status ofs_trainer_epoch(ofs_trainer *t, const ofs_real *x, const unsigned char *y,
                                    ofs_epoch_stats *st, ofs_err *err);
#ifndef OFS_NO_STDIO
/* Checkpoint: version, sizeof(ofs_real), layer sizes, activation, batch, n, groups,
   epoch, step, rng state, parameters, optimizer states, the weight average,
   accumulate, Lookahead's slow weights and count, SAM's settings; in ofs_file_save's
   checked file. Saving refuses a state that is not finite (parameters or moments: the
   weights diverged) with OFS_ERR_NONFINITE and writes nothing, so the previous
   checkpoint stays. Loading refuses any mismatch with the trainer and any field
   out of range (epoch, step, rng state, parameters, each optimizer's state, the
   wrappers': a trainer with other wrappers or another accumulate refuses the file),
   and then changes nothing. Older checkpoints load as runs without wrappers and
   with accumulate 1. An epoch that would take the step counter past OFS_MAX_STEPS
   is refused. */
OFSDEF ofs_status ofs_trainer_save(const ofs_trainer *t, const char *path, ofs_err *err);
OFSDEF ofs_status ofs_trainer_load(ofs_trainer *t, const char *path, ofs_err *err);
/* The same from a checkpoint's payload already in memory (what the fuzzer feeds). */
OFSDEF ofs_status ofs_trainer_load_payload(ofs_trainer *t, const unsigned char *data, size_t len, const char *path, ofs_err *err);
#endif

/* ---- Appendix D: reading IDX files (MNIST, Fashion-MNIST, any IDX) ----------- */
/* IDX files (the format of MNIST, Fashion-MNIST, EMNIST, KMNIST): a 4-byte
   magic 0x00 0x00 TYPE NDIM, NDIM big-endian uint32 sizes, then the elements,
   big-endian, last index fastest. Every element type is read and converted to
   ofs_real: exact for bytes and shorts; for int32 and float64 exact in double,
   rounded to nearest in float (int32 beyond 2^24, float64 beyond float's 24-bit
   significand; values beyond float's range become +-inf). */
typedef enum ofs_idx_type {
    OFS_IDX_U8  = 0x08,   /* unsigned byte */
    OFS_IDX_I8  = 0x09,   /* signed byte */
    OFS_IDX_I16 = 0x0B,   /* short, 2 bytes */
    OFS_IDX_I32 = 0x0C,   /* int, 4 bytes */
    OFS_IDX_F32 = 0x0D,   /* float, 4 bytes */
    OFS_IDX_F64 = 0x0E    /* double, 8 bytes */
} ofs_idx_type;
#define OFS_IDX_MAX_DIMS 255                  /* NDIM is one byte: any 1..255 is read */
#define OFS_IDX_MAX_COUNT 2147483648.0        /* 2^31: more elements is refused as absurd */

typedef struct ofs_idx {
    int type;                         /* the element type as stored: OFS_IDX_U8, ... */
    int ndim;                         /* number of dimensions, 1..255 */
    uint32_t dims[OFS_IDX_MAX_DIMS];  /* sizes, outermost first (MNIST images: n, rows, cols) */
    size_t count;                     /* number of elements: the product of the sizes */
    ofs_real *x;                      /* count values, last index fastest, converted to ofs_real */
} ofs_idx;

/* MNIST-style data: n images of rows x cols pixels, flattened row by row. */
typedef struct ofs_dataset {
    size_t n;                 /* number of examples */
    int rows, cols, dim;      /* image size; dim = rows * cols */
    int classes;              /* number of classes: 10 */
    ofs_real *x;              /* n * dim pixels, scaled to [0, 1]: byte / 255 */
    unsigned char *y;         /* n labels, each < classes */
} ofs_dataset;

OFSDEF const char *ofs_idx_type_name(int type);   /* "unsigned byte", ..., or "unknown" */
/* Read IDX bytes already in memory (a file's whole contents); `name` is used in messages. */
OFSDEF ofs_status ofs_idx_parse(const void *data, size_t len, const char *name, ofs_idx *out, ofs_err *err);
OFSDEF void       ofs_idx_free(ofs_idx *x);       /* frees x->x and zeroes *x */
OFSDEF void       ofs_dataset_free(ofs_dataset *ds);
/* MNIST-like digits that need no download: n images of 28 x 28 bytes into pixels
   (n * 784) and their classes 0-9 into labels (n); each class a bright disc at its
   own place, plus noise. The same seed gives the same bytes on every platform. */
OFSDEF void       ofs_mnist_synthetic(unsigned char *pixels, unsigned char *labels, size_t n, uint64_t seed);
#ifndef OFS_NO_STDIO
/* Read any IDX file; on error *out is zeroed and nothing stays allocated. */
OFSDEF ofs_status ofs_idx_load(const char *path, ofs_idx *out, ofs_err *err);
/* Read an MNIST pair (unsigned-byte images n x rows x cols, labels n, each < 10);
   on error *ds is zeroed and nothing stays allocated. */
OFSDEF ofs_status ofs_mnist_load(const char *images_path, const char *labels_path, ofs_dataset *ds, ofs_err *err);
/* The same from a directory holding the pair under MNIST's standard names:
   DIR/SET-images-idx3-ubyte and DIR/SET-labels-idx1-ubyte, SET being "train" (60,000
   images) or "t10k" (10,000); Fashion-MNIST uses the same names. */
OFSDEF ofs_status ofs_mnist_load_dir(const char *dir, const char *set, ofs_dataset *ds, ofs_err *err);
/* Write an unsigned-byte IDX file of ndim sizes dims (outermost first) holding their
   product of bytes from data; through a temporary file and a rename, as ofs_file_save. */
OFSDEF ofs_status ofs_idx_save(const char *path, const unsigned char *data, int ndim, const uint32_t *dims, ofs_err *err);
/* ofs_mnist_synthetic's n digits (1 <= n <= 2^31 / 784) as an MNIST pair of IDX files;
   both are written before either replaces its previous file. */
OFSDEF ofs_status ofs_mnist_synthetic_save(const char *images_path, const char *labels_path, size_t n, uint64_t seed,
                                           ofs_err *err);
#endif

#ifdef __cplusplus
}
#endif
#endif /* OPTIMFS_H */

/* ============================================================================== */
/*                               IMPLEMENTATION                                   */
/* ============================================================================== */
#ifdef OPTIMFS_IMPLEMENTATION
#ifndef OPTIMFS_IMPLEMENTATION_DONE
#define OPTIMFS_IMPLEMENTATION_DONE

#include <math.h>
#include <float.h>
#include <limits.h>
#include <string.h>
#include <stdarg.h>
#include <errno.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>     /* snprintf for messages; files only without OFS_NO_STDIO */
#include <time.h>      /* clock: the phase timer without OpenMP */

/* Files on POSIX systems go through open/read/write/fsync/rename (chapter 0 says
   why); elsewhere through stdio, with fewer guarantees. lstat, which tells a
   symbolic link from its target, is declared by glibc only with the X/Open
   features, which a strict -std=c99 build does not ask for; the function itself is
   always in the C library, so on 64-bit glibc (one struct stat, no redirection)
   it is declared here. Where it cannot be had, symbolic links are not detected. */
#if !defined(OFS_NO_STDIO) && (defined(__unix__) || defined(__APPLE__))
#define OFS__POSIX 1
#include <sys/types.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#if defined(__GLIBC__) && !defined(__USE_XOPEN_EXTENDED) && !defined(__USE_XOPEN2K)
#if !defined(__cplusplus) && (defined(__LP64__) || defined(_LP64)) && defined(S_ISLNK)
extern int lstat(const char *path, struct stat *buf);
#define OFS__HAVE_LSTAT 1
#endif
#elif defined(S_ISLNK) && (defined(__GLIBC__) || defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
      defined(__OpenBSD__) || defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || defined(_DEFAULT_SOURCE) || \
      defined(_BSD_SOURCE) || (defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200112L))
#define OFS__HAVE_LSTAT 1
#endif
#endif

#if defined(OFS_MALLOC) != defined(OFS_FREE)
#error "optimfs.h: define both OFS_MALLOC and OFS_FREE, or neither"
#endif
#ifndef OFS_MALLOC
#include <stdlib.h>
#define OFS_MALLOC(sz) malloc(sz)
#define OFS_FREE(p) free(p)
#endif
#ifndef OFS_ASSERT
#include <assert.h>
#define OFS_ASSERT(x) assert(x)
#endif

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ==== Chapter 0: Foundations ==================================================== */

OFSDEF const char *ofs_status_string(ofs_status s)
{
    switch (s) {
    case OFS_OK:            return "ok";
    case OFS_ERR_ARG:       return "invalid argument";
    case OFS_ERR_NOMEM:     return "out of memory";
    case OFS_ERR_IO:        return "input/output error";
    case OFS_ERR_FORMAT:    return "malformed data";
    case OFS_ERR_MISMATCH:  return "mismatched state";
    case OFS_ERR_NONFINITE: return "non-finite number";
    case OFS_ERR_UNSUPPORTED: return "not supported here";
    }
    return "unknown status";
}

/* Messages. A sentence names the file, the field, what was expected and what was
   found, and ends with its reason. A file name may be as long as the system allows
   (4096 bytes on Linux), so a sentence is first formatted in full, in a buffer with
   room for three such names. When it is longer than ofs_err.msg, its first
   OFS__MSG_HEAD bytes (where the file is named) and its end (the reason) are kept,
   joined by "...": a long path is shortened, the reason never.                   */
#define OFS__MSG_HEAD 160
static void ofs__vformat(char *out, size_t cap, const char *fmt, va_list ap)
{
    char all[3 * 4096 + OFS_ERR_MSG_SIZE];
    int m = vsnprintf(all, sizeof all, fmt, ap);
    size_t len = m < 0 ? 0 : (size_t)m < sizeof all ? (size_t)m : sizeof all - 1, tail;
    if (m < 0) all[0] = 0;
    if (len < cap) { memcpy(out, all, len + 1); return; }
    tail = cap - 1 - OFS__MSG_HEAD - 3;             /* the end kept, without its 0 */
    memcpy(out, all, OFS__MSG_HEAD);
    memcpy(out + OFS__MSG_HEAD, "...", 3);
    memcpy(out + OFS__MSG_HEAD + 3, all + len - tail, tail + 1);
}

/* Record a failure: the status always, the sentence when err is not NULL. */
static ofs_status ofs__fail(ofs_err *err, ofs_status s, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->status = s;
        va_start(ap, fmt);
        ofs__vformat(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* err->msg becomes "PREFIX: " and the sentence it held, whose end is kept. */
static ofs_status ofs__wrap(ofs_err *err, ofs_status s, const char *prefix)
{
    char inner[OFS_ERR_MSG_SIZE];
    if (!err) return s;
    memcpy(inner, err->msg, sizeof inner);
    inner[sizeof inner - 1] = 0;
    return ofs__fail(err, s, "%s: %s", prefix, inner);
}

static ofs_status ofs__ok(ofs_err *err)
{
    if (err) { err->status = OFS_OK; err->msg[0] = 0; }
    return OFS_OK;
}

/* Allocate n elements of size sz, failing (not wrapping) when n*sz overflows, on a
   64-byte boundary: a cache line, and one AVX-512 vector. malloc promises 16 bytes,
   and then every 64-byte load or store of the matrix product and the optimizers
   straddles two lines: the AdamW step took twice as long on malloc's alignment.
   The block malloc returned is kept just before the aligned one; ofs__free frees
   it, so everything the library allocates is released by the library.         */
#define OFS__ALIGN 64
static void *ofs__align_up(void *p)   /* the first 64-byte boundary at or after p */
{
    return (unsigned char *)p + (OFS__ALIGN - (size_t)((uintptr_t)p % OFS__ALIGN)) % OFS__ALIGN;
}

static void *ofs__alloc(size_t n, size_t sz)
{
    const size_t extra = OFS__ALIGN + sizeof(void *);
    unsigned char *raw, *p;
    if (sz != 0 && n > ((size_t)-1 - extra) / sz) return NULL;
    raw = (unsigned char *)OFS_MALLOC(n * sz + extra);
    if (!raw) return NULL;
    p = (unsigned char *)ofs__align_up(raw + sizeof(void *));
    memcpy(p - sizeof(void *), &raw, sizeof raw);
    return p;
}

static void ofs__free(void *p)
{
    void *raw;
    if (!p) return;
    memcpy(&raw, (unsigned char *)p - sizeof raw, sizeof raw);
    OFS_FREE(raw);
}

#ifdef __cplusplus
#define OFS__RESTRICT __restrict
#else
#define OFS__RESTRICT restrict
#endif
#if defined(__GNUC__) || defined(__clang__)
#define OFS__INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define OFS__INLINE __forceinline
#else
#define OFS__INLINE inline
#endif
/* Does the compile target have fused multiply-add (a b + c rounded once) in
   hardware? Then chapter 15's products write it out, which makes their results
   independent of the compiler's choice to fuse (-ffp-contract); without it they
   use a*b + c, as a software fma would be slow. */
#if !defined(OFS__USE_FMA)
#  if defined(FP_FAST_FMAF) || defined(__FMA__) || defined(__AVX512F__) || defined(__ARM_FEATURE_FMA) || defined(__aarch64__)
#    define OFS__USE_FMA 1
#  else
#    define OFS__USE_FMA 0
#  endif
#endif
/* The square root in ofs_real. For float, sqrtf: it gives the same bits as
   (float)sqrt((double)x) (a double holds more than twice float's precision, so
   rounding twice cannot differ), at half the cost, one vector instruction.   */
#define OFS__SQRT(x) (sizeof(ofs_real) == sizeof(float) ? (ofs_real)sqrtf((float)(x)) : (ofs_real)sqrt((double)(x)))

/* The roots of a block: x[i] <- OFS__SQRT(x[i]) for i < n, the same bits. C's sqrt
   sets errno for a negative argument, so unless the build says -fno-math-errno a
   compiler keeps each root a scalar call behind a check, and a loop with a root in
   it is never vectorized. Adam's step (chapter 10) therefore takes its roots a block
   of OFS__ROOTS at a time, between the averages and the division, as PyTorch's
   foreach path does (_foreach_sqrt on all of v, then the division): the two loops
   around it vectorize with any flags, and Appendix A gives the roots themselves. */
#define OFS__ROOTS 64
static void ofs__sqrt_n(ofs_real *x, size_t n);
#ifdef __NO_MATH_ERRNO__   /* the build's setting, read before OFS__VECTORIZE_BEGIN's pragma redefines the macro */
#define OFS__MATH_ERRNO 0
#else
#define OFS__MATH_ERRNO 1
#endif

static int ofs__finite(double x) { return x - x == 0.0; }  /* false for NaN and +-Inf */

/* The first element of x[0 .. n) that is not finite, or n. One pass that adds x * 0:
   0 for every finite x, NaN from the first infinity or NaN on; no overflow. */
static size_t ofs__first_nonfinite(const ofs_real *x, size_t n)
{
    ofs_real z = 0;
    size_t i;
    for (i = 0; i < n; i++) z += x[i] * (ofs_real)0;
    if (z == 0) return n;
    for (i = 0; i < n && ofs__finite((double)x[i]); i++) {}
    return i;
}

/* A training step spends much of its time in element-wise loops: the update rules
   of chapters 7 to 11, chapter 15's activations and bias gradients, Appendix A's
   packing. -O3 makes vector code of each; GCC's -O2 vectorizes only loops that need
   no scalar remainder, so from chapter 7 on the header asks GCC for -O3 (and
   -fno-math-errno, which changes no result: sqrt sets errno only for a negative
   argument, and no rule takes the root of one). GCC honours that request for all
   but sqrt, whose errno it decides for the whole file: a loop with a square root in
   it stays scalar unless the build itself says -fno-math-errno (README: Speed).
   Adam's step, the default model's, takes its roots apart for that reason (the
   roots of a block, above); the other rules with a root are left as one loop.
   Not under AddressSanitizer (twice the compile time, for checks that need no
   speed), nor with OFS_NO_VECTORIZE_PRAGMA defined. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(OFS_NO_VECTORIZE_PRAGMA)
#define OFS__VECTORIZE_BEGIN _Pragma("GCC push_options") \
    _Pragma("GCC optimize(\"O3\", \"no-math-errno\")")
#define OFS__VECTORIZE_END _Pragma("GCC pop_options")
#else
#define OFS__VECTORIZE_BEGIN
#define OFS__VECTORIZE_END
#endif

/* Random numbers. splitmix64 spreads one seed over 256 bits of state;
   xoshiro256** (Blackman and Vigna, 2018) then gives 64 bits per call. */
static uint64_t ofs__splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

OFSDEF void ofs_rng_seed(ofs_rng *r, uint64_t seed)
{
    int i;
    for (i = 0; i < 4; i++) r->s[i] = ofs__splitmix64(&seed);
}

static uint64_t ofs__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

OFSDEF uint64_t ofs_rng_u64(ofs_rng *r)
{
    uint64_t *s = r->s, result = ofs__rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = ofs__rotl(s[3], 45);
    return result;
}

OFSDEF double ofs_rng_uniform(ofs_rng *r)
{
    return (double)(ofs_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);  /* 2^-53 */
}

OFSDEF uint32_t ofs_rng_below(ofs_rng *r, uint32_t n)
{
    /* Lemire's multiply-and-reject: no modulo bias. */
    uint64_t m = (ofs_rng_u64(r) >> 32) * n;
    if ((uint32_t)m < n) {
        uint32_t floor = (uint32_t)(-n) % n;
        while ((uint32_t)m < floor) m = (ofs_rng_u64(r) >> 32) * n;
    }
    return (uint32_t)(m >> 32);
}

OFSDEF double ofs_rng_normal(ofs_rng *r)
{
    /* Marsaglia's polar method: a point uniform in the unit disc, scaled.
       The second normal it yields is dropped to keep the state plain. */
    double u, v, s;
    do {
        u = 2.0 * ofs_rng_uniform(r) - 1.0;
        v = 2.0 * ofs_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

OFSDEF void ofs_rng_shuffle(ofs_rng *r, uint32_t *a, size_t n)
{
    size_t i;
    OFS_ASSERT(n <= 0xFFFFFFFFu);   /* indices are 32-bit */
    for (i = n; i > 1; i--) {
        uint32_t j = ofs_rng_below(r, (uint32_t)i), tmp = a[i - 1];
        a[i - 1] = a[j]; a[j] = tmp;
    }
}

/* Serialization. */
static void ofs__put(ofs_buf *b, const void *p, size_t n)
{
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        unsigned char *d;
        while (cap < b->len + n) cap *= 2;
        d = (unsigned char *)ofs__alloc(cap, 1);
        if (!d) { b->failed = 1; return; }
        if (b->len) memcpy(d, b->data, b->len);
        ofs__free(b->data);
        b->data = d; b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

OFSDEF void ofs_buf_free(ofs_buf *b)
{
    ofs__free(b->data);
    b->data = NULL; b->len = b->cap = 0; b->failed = 0;
}

OFSDEF void ofs_put_u64(ofs_buf *b, uint64_t v)
{
    unsigned char c[8];
    int i;
    for (i = 0; i < 8; i++) c[i] = (unsigned char)(v >> (8 * i));
    ofs__put(b, c, 8);
}

OFSDEF void ofs_put_f64(ofs_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    ofs_put_u64(b, u);
}

OFSDEF void ofs_put_reals(ofs_buf *b, const ofs_real *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) ofs_put_f64(b, (double)x[i]);   /* exact for float too */
}

OFSDEF uint64_t ofs_get_u64(ofs_reader *r)
{
    uint64_t v = 0;
    int i;
    if (r->failed || r->len - r->pos < 8) { r->failed = 1; return 0; }
    for (i = 0; i < 8; i++) v |= (uint64_t)r->data[r->pos + i] << (8 * i);
    r->pos += 8;
    return v;
}

OFSDEF double ofs_get_f64(ofs_reader *r)
{
    uint64_t u = ofs_get_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

OFSDEF void ofs_get_reals(ofs_reader *r, ofs_real *x, size_t n)
{
    size_t i;
    if (r->failed || (r->len - r->pos) / 8 < n) { r->failed = 1; return; }
    for (i = 0; i < n; i++) x[i] = (ofs_real)ofs_get_f64(r);
}

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit; `c` starts
   at 0xFFFFFFFF and the result is complemented, so spans can be chained. */
static uint32_t ofs__crc_update(uint32_t c, const unsigned char *p, size_t n)
{
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c;
}

OFSDEF uint32_t ofs_crc32(const unsigned char *p, size_t n) { return ~ofs__crc_update(0xFFFFFFFFu, p, n); }

#ifndef OFS_NO_STDIO
static void ofs__le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

static uint32_t ofs__rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- Saving and loading files: what is guaranteed ----------------------------
   Every file the library writes (checked files, optimizer states, checkpoints, IDX
   files, toy grids) is written in the same four steps:
     1. PATH must be a regular file or not exist. A directory, a device (/dev/null),
        a FIFO or a socket is refused, naming what was found: replacing it by a
        regular file would destroy it (run as root, /dev/null itself). A symbolic
        link is refused too (where lstat is available; see the includes): replacing
        it would cut the link from its target without a word, and writing through
        it would put the file where the caller did not name it. Save to the target.
     2. The bytes go to a new temporary file in PATH's directory, PATH.tmp.PID.K
        (the file's own name cut to 200 bytes), created exclusively (O_CREAT |
        O_EXCL): K counts up from 0 until a name is free, so that two processes, or
        two threads, never share a temporary file.
     3. The temporary file is synced (fsync) and closed, and every write, the sync
        and the close are checked; a failure is reported with its cause ("No space
        left on device"), the temporary file is removed and PATH is not touched.
     4. rename() puts it over PATH in one step; then PATH's directory is synced, so
        that the rename itself is on the disk. A file system that cannot sync a
        directory (EINVAL, ENOTSUP) is not an error; any other failure is reported
        (the new file is then in place, but a power loss could still undo it).
   So:
     - the process is killed at any moment: PATH is the previous file or the new
       one, whole. A killed save may leave its PATH.tmp.PID.K behind (never PATH
       half-written); such a leftover belongs to no one and can be deleted.
     - the machine loses power or crashes: the same; and once a save has returned
       OFS_OK, the new file is on the disk (as far as the disk honours fsync).
     - several writers save to one PATH at once: every save is whole, none fails
       because of another, and the last rename wins.
     - the destination is refused as in step 1 at the time of the save (a file that
       becomes a device between the check and the rename is not caught).
   Without POSIX (the stdio fallback) there is no check of step 1, no exclusive
   creation (K is the first free name: concurrent writers are not protected), and
   fflush stands for fsync.

   Reading refuses anything but a regular file before reading a byte: stat first,
   then open with O_NONBLOCK (a FIFO cannot block the open) and fstat again. A
   checked file's 20-byte head (magic, kind, payload length) is read and checked
   against the real file size before anything is allocated: a file that is not an
   optimfs file, however large, costs 20 bytes of reading, and memory is only ever
   asked for a size the file really has. Every field read from a file is then
   validated before use: a CRC proves that a file was not damaged, not that its
   contents are sane (chapters 12, 14 and 15 say what each reader checks).      */
#define OFS__PATH_CAP 4096       /* longest path saved to or read from */

#if defined(OFS__POSIX)
static const char *ofs__what_is(const struct stat *st)
{
    if (S_ISDIR(st->st_mode)) return "a directory";
    if (S_ISCHR(st->st_mode)) return "a character device";
    if (S_ISBLK(st->st_mode)) return "a block device";
#ifdef S_ISFIFO
    if (S_ISFIFO(st->st_mode)) return "a FIFO (named pipe)";
#endif
#ifdef S_ISSOCK
    if (S_ISSOCK(st->st_mode)) return "a socket";
#endif
#ifdef S_ISLNK
    if (S_ISLNK(st->st_mode)) return "a symbolic link";
#endif
    return "something that is not a regular file";
}

static int ofs__sync_unsupported(int e)   /* file systems that cannot fsync this kind of file */
{
    int no = e == EINVAL || e == EBADF;
#ifdef ENOTSUP
    no |= e == ENOTSUP;
#endif
#ifdef EOPNOTSUPP
    no |= e == EOPNOTSUPP;
#endif
    return no;
}
#endif

/* Step 1: refuse a destination that is not a regular file. */
static ofs_status ofs__dest_check(const char *path, ofs_err *err)
{
#if defined(OFS__POSIX)
    struct stat st;
#ifdef OFS__HAVE_LSTAT
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return ofs__fail(err, OFS_ERR_IO, "%s: expected a regular file or no file, found a symbolic link: refusing to replace "
                         "it (save to the file it points to); nothing was written", path);
#endif
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return ofs__fail(err, OFS_ERR_IO, "%s: expected a regular file or no file, found %s: refusing to replace it; "
                         "nothing was written", path, ofs__what_is(&st));
#endif
    if (strlen(path) > OFS__PATH_CAP)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected a path of at most %d bytes, found %lu; nothing was written", path,
                         OFS__PATH_CAP, (unsigned long)strlen(path));
    return OFS_OK;
}

/* A temporary file being written: its name and its descriptor (stdio: its FILE). */
typedef struct ofs__out {
    char tmp[OFS__PATH_CAP + 64];
#if defined(OFS__POSIX)
    int fd;
#else
    FILE *f;
#endif
} ofs__out;

/* Step 2: PATH.tmp.PID.K, the first K whose name is free, created exclusively. */
static ofs_status ofs__tmp_create(const char *path, ofs__out *o, ofs_err *err)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0, blen = strlen(path) - dlen;
    unsigned long pid = 0;
    int k, e = 0;
#if defined(OFS__POSIX)
    pid = (unsigned long)getpid();
#endif
    if (blen > 200) blen = 200;
    for (k = 0; k < 1000; k++) {
        snprintf(o->tmp, sizeof o->tmp, "%.*s.tmp.%lu.%d", (int)(dlen + blen), path, pid, k);
#if defined(OFS__POSIX)
        do o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL, 0666); while (o->fd < 0 && errno == EINTR);
        if (o->fd >= 0) return OFS_OK;
        if ((e = errno) != EEXIST) break;
#else
        if ((o->f = fopen(o->tmp, "rb")) != NULL) { fclose(o->f); continue; }
        if ((o->f = fopen(o->tmp, "wb")) != NULL) return OFS_OK;
        e = errno;
        break;
#endif
    }
    return ofs__fail(err, OFS_ERR_IO, "%s: cannot open the temporary file %s for writing: %s; nothing was written", path, o->tmp,
                     k == 1000 ? "1000 temporary names are taken" : strerror(e));
}

/* Write n bytes; returns how many were written (n, or fewer with *e = errno). */
static size_t ofs__out_put(ofs__out *o, const unsigned char *p, size_t n, int *e)
{
    size_t done = 0;
#if defined(OFS__POSIX)
    while (done < n) {
        ssize_t w = write(o->fd, p + done, n - done < ((size_t)1 << 30) ? n - done : ((size_t)1 << 30));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { *e = w < 0 ? errno : EIO; break; }
        done += (size_t)w;
    }
#else
    done = n ? fwrite(p, 1, n, o->f) : 0;
    if (done != n) *e = errno ? errno : EIO;
#endif
    return done;
}

/* Sync (when ok) and close; returns 0 or an errno, and *what names the call that failed. */
static int ofs__out_close(ofs__out *o, int ok, const char **what)
{
    int e = 0;
#if defined(OFS__POSIX)
    *what = "syncing it to the disk (fsync)";
    if (ok && fsync(o->fd) != 0 && !ofs__sync_unsupported(errno)) e = errno;
    if (close(o->fd) != 0 && ok && !e) { e = errno; *what = "closing it"; }
#else
    *what = "flushing it";
    if (ok && fflush(o->f) != 0) e = errno ? errno : EIO;
    if (fclose(o->f) != 0 && ok && !e) { e = errno ? errno : EIO; *what = "closing it"; }
#endif
    return e;
}

/* Steps 1-3: the n spans parts[i] (lens[i] bytes each) in a synced temporary file
   beside path, which ofs__save_commit then renames over it. `limit` stops the
   writing after that many bytes, as a failing disk would: how the tests simulate a
   crash or a full disk in the middle of a save ((size_t)-1: no limit). */
static ofs_status ofs__save_begin(const char *path, const unsigned char *const *parts, const size_t *lens, int n,
                                  size_t limit, ofs__out *o, ofs_err *err)
{
    size_t written = 0, total = 0;
    int i, e = 0, stopped = 0;
    const char *what = "writing it";
    ofs_status st;
    for (i = 0; i < n; i++) total += lens[i];
    if ((st = ofs__dest_check(path, err)) != OFS_OK || (st = ofs__tmp_create(path, o, err)) != OFS_OK) return st;
    for (i = 0; i < n && !e && !stopped; i++) {
        size_t m = lens[i];
        if (written + m > limit) { m = limit - written; stopped = 1; }
        if (m) written += ofs__out_put(o, parts[i], m, &e);
    }
    if (!e && !stopped) e = ofs__out_close(o, 1, &what);
    else (void)ofs__out_close(o, 0, &what);
    if (!e && !stopped) return OFS_OK;
    remove(o->tmp);
    if (stopped && !e)
        return ofs__fail(err, OFS_ERR_IO, "%s: writing failed after %lu of %lu bytes: stopped by the byte limit of a test; "
                         "the previous file is untouched", path, (unsigned long)written, (unsigned long)total);
    return ofs__fail(err, OFS_ERR_IO, "%s: writing failed after %lu of %lu bytes, %s: %s; the previous file is untouched",
                     path, (unsigned long)written, (unsigned long)total, what, strerror(e));
}

static void ofs__save_abort(ofs__out *o) { remove(o->tmp); }

/* Step 4: rename the temporary file over path, then sync the directory. */
static ofs_status ofs__save_commit(const char *path, ofs__out *o, ofs_err *err)
{
#if defined(OFS__POSIX)
    char dir[OFS__PATH_CAP + 2];
    const char *slash = strrchr(path, '/');
    size_t dl = !slash ? 0 : slash == path ? 1 : (size_t)(slash - path);
    int fd, e = 0;
#endif
    if (rename(o->tmp, path) != 0) {
        int re = errno;
        remove(o->tmp);
        return ofs__fail(err, OFS_ERR_IO, "%s: cannot rename the temporary file %s over it: %s; the previous file is untouched",
                         path, o->tmp, strerror(re));
    }
#if defined(OFS__POSIX)
    if (dl) memcpy(dir, path, dl); else dir[dl++] = '.';
    dir[dl] = 0;
    do fd = open(dir, O_RDONLY); while (fd < 0 && errno == EINTR);
    if (fd < 0) e = errno == EACCES ? 0 : errno;   /* a directory we may write but not read: nothing to sync with */
    else {
        if (fsync(fd) != 0 && !ofs__sync_unsupported(errno)) e = errno;
        close(fd);
    }
    if (e) return ofs__fail(err, OFS_ERR_IO, "%s: the new file is in place, but syncing its directory %s failed: %s; "
                            "a power loss could still bring back the previous file", path, dir, strerror(e));
#endif
    return ofs__ok(err);
}

static ofs_status ofs__save_parts(const char *path, const unsigned char *const *parts, const size_t *lens, int n,
                                  size_t limit, ofs_err *err)
{
    ofs__out o;
    ofs_status st = ofs__save_begin(path, parts, lens, n, limit, &o, err);
    return st != OFS_OK ? st : ofs__save_commit(path, &o, err);
}

OFSDEF ofs_status ofs_file_check_dest(const char *path, ofs_err *err)
{
    ofs__out o;
    const char *what;
    ofs_status st;
    if ((st = ofs__dest_check(path, err)) != OFS_OK || (st = ofs__tmp_create(path, &o, err)) != OFS_OK) return st;
    (void)ofs__out_close(&o, 0, &what);
    remove(o.tmp);
    return ofs__ok(err);
}

/* A file being read: a regular file, and its size. */
typedef struct ofs__in {
#if defined(OFS__POSIX)
    int fd;
#else
    FILE *f;
#endif
    uint64_t size;
} ofs__in;

static ofs_status ofs__in_open(ofs__in *in, const char *path, ofs_err *err)
{
#if defined(OFS__POSIX)
    struct stat st;
    int e;
    if (stat(path, &st) != 0) return ofs__fail(err, OFS_ERR_IO, "%s: cannot open the file: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return ofs__fail(err, OFS_ERR_IO, "%s: expected a regular file, found %s", path, ofs__what_is(&st));
    do in->fd = open(path, O_RDONLY | O_NONBLOCK); while (in->fd < 0 && errno == EINTR);
    if (in->fd < 0) return ofs__fail(err, OFS_ERR_IO, "%s: cannot open the file: %s", path, strerror(errno));
    if (fstat(in->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        e = errno;
        close(in->fd);
        return ofs__fail(err, OFS_ERR_IO, "%s: expected a regular file, found %s", path,
                         e ? strerror(e) : ofs__what_is(&st));
    }
    in->size = (uint64_t)st.st_size;
#else
    long size;
    if (!(in->f = fopen(path, "rb"))) return ofs__fail(err, OFS_ERR_IO, "%s: cannot open the file: %s", path, strerror(errno));
    if (fseek(in->f, 0, SEEK_END) != 0 || (size = ftell(in->f)) < 0 || fseek(in->f, 0, SEEK_SET) != 0) {
        fclose(in->f);
        return ofs__fail(err, OFS_ERR_IO, "%s: cannot determine the file's size (not a regular file?)", path);
    }
    in->size = (uint64_t)size;
#endif
    return OFS_OK;
}

/* Read n bytes; returns how many were read (fewer: *e = errno, or 0 at the end of the file). */
static size_t ofs__in_read(ofs__in *in, void *buf, size_t n, int *e)
{
    size_t done = 0;
    *e = 0;
#if defined(OFS__POSIX)
    while (done < n) {
        ssize_t r = read(in->fd, (unsigned char *)buf + done, n - done < ((size_t)1 << 30) ? n - done : ((size_t)1 << 30));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { *e = r < 0 ? errno : 0; break; }
        done += (size_t)r;
    }
#else
    done = n ? fread(buf, 1, n, in->f) : 0;
    if (done != n && ferror(in->f)) *e = errno ? errno : EIO;
#endif
    return done;
}

static int ofs__in_seek(ofs__in *in, size_t off)
{
#if defined(OFS__POSIX)
    return lseek(in->fd, (off_t)off, SEEK_SET) == (off_t)off ? 0 : -1;
#else
    return fseek(in->f, (long)off, SEEK_SET);
#endif
}

static void ofs__in_close(ofs__in *in)
{
#if defined(OFS__POSIX)
    if (in->fd >= 0) close(in->fd);
    in->fd = -1;
#else
    if (in->f) fclose(in->f);
    in->f = NULL;
#endif
}

static void ofs__in_none(ofs__in *in)   /* not open: what ofs__in_close may be given */
{
#if defined(OFS__POSIX)
    in->fd = -1;
#else
    in->f = NULL;
#endif
    in->size = 0;
}

/* "read error after 12 of 300 bytes: Input/output error", or the file got shorter. */
static ofs_status ofs__read_failed(const char *path, size_t got, uint64_t want, int e, ofs_err *err)
{
    return ofs__fail(err, OFS_ERR_IO, "%s: read error after %lu of %llu bytes: %s", path, (unsigned long)got,
                     (unsigned long long)want, e ? strerror(e) : "the file ended early (did it change while it was read?)");
}

/* The checked file: head (magic, kind, length), payload, CRC-32, through ofs__save_parts. */
static ofs_status ofs__file_save_limited(const char *path, uint32_t kind, const ofs_buf *payload,
                                         size_t limit, ofs_err *err)
{
    unsigned char head[20], tail[4];
    const unsigned char *parts[3];
    size_t lens[3];
    uint32_t crc;

    if (payload->failed) return ofs__fail(err, OFS_ERR_NOMEM, "%s: out of memory while preparing the data to save", path);
    memcpy(head, "OPTIMFS1", 8);
    ofs__le32(head + 8, kind);
    ofs__le32(head + 12, (uint32_t)(payload->len & 0xFFFFFFFFu));
    ofs__le32(head + 16, (uint32_t)((uint64_t)payload->len >> 32));
    crc = ~ofs__crc_update(ofs__crc_update(0xFFFFFFFFu, head, 20), payload->data, payload->len);
    ofs__le32(tail, crc);
    parts[0] = head; lens[0] = 20;
    parts[1] = payload->data; lens[1] = payload->len;
    parts[2] = tail; lens[2] = 4;
    return ofs__save_parts(path, parts, lens, 3, limit, err);
}

OFSDEF ofs_status ofs_file_save(const char *path, uint32_t kind, const ofs_buf *payload, ofs_err *err)
{
    return ofs__file_save_limited(path, kind, payload, (size_t)-1, err);
}

OFSDEF ofs_status ofs_file_write(const char *path, const void *data, size_t len, ofs_err *err)
{
    const unsigned char *part = (const unsigned char *)data;
    return ofs__save_parts(path, &part, &len, 1, (size_t)-1, err);
}

/* The 20-byte head of a checked file of `size` bytes: magic, kind, and a payload
   length that is exactly what the file holds. */
static ofs_status ofs__file_head(const unsigned char *data, uint64_t size, uint32_t kind, const char *name, ofs_err *err)
{
    uint64_t len;
    if (size < 24)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected at least 24 bytes, found %llu", name, (unsigned long long)size);
    if (memcmp(data, "OPTIMFS1", 8) != 0)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected the magic bytes \"OPTIMFS1\", found others: not an optimfs file", name);
    if (ofs__rd32(data + 8) != kind)
        return ofs__fail(err, OFS_ERR_MISMATCH, "%s: expected a file of kind %lu, found kind %lu",
                         name, (unsigned long)kind, (unsigned long)ofs__rd32(data + 8));
    len = (uint64_t)ofs__rd32(data + 12) | (uint64_t)ofs__rd32(data + 16) << 32;
    if (len != size - 24)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: the header promises %llu payload bytes, the file holds %llu",
                         name, (unsigned long long)len, (unsigned long long)(size - 24));
    if (size > (uint64_t)((size_t)-1 / 2))
        return ofs__fail(err, OFS_ERR_NOMEM, "%s: a file of %llu bytes is more than this machine can hold", name,
                         (unsigned long long)size);
    return OFS_OK;
}

OFSDEF ofs_status ofs_file_parse(const unsigned char *data, size_t size, uint32_t kind, const char *name,
                                  const unsigned char **payload, size_t *payload_len, ofs_err *err)
{
    size_t len = size - 24;
    ofs_status st;
    *payload = NULL; *payload_len = 0;
    if ((st = ofs__file_head(data, (uint64_t)size, kind, name, err)) != OFS_OK) return st;
    if (ofs_crc32(data, 20 + len) != ofs__rd32(data + 20 + len))
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: checksum mismatch (expected %08lx, found %08lx): the file is corrupt",
                         name, (unsigned long)ofs__rd32(data + 20 + len), (unsigned long)ofs_crc32(data, 20 + len));
    *payload = data + 20; *payload_len = len;
    return ofs__ok(err);
}

/* The head first, then one block of exactly the file's size, then the checksum. */
OFSDEF ofs_status ofs_file_load(const char *path, uint32_t kind, ofs_buf *payload, ofs_err *err)
{
    ofs__in in;
    unsigned char head[20], *all = NULL;
    const unsigned char *p;
    size_t plen, got;
    int e;
    ofs_status st;

    payload->data = NULL; payload->len = payload->cap = 0; payload->failed = 0;
    if ((st = ofs__in_open(&in, path, err)) != OFS_OK) return st;
    got = ofs__in_read(&in, head, in.size < 20 ? (size_t)in.size : 20, &e);
    if (in.size >= 20 && got < 20) st = ofs__read_failed(path, got, in.size, e, err);
    else st = ofs__file_head(head, in.size, kind, path, err);
    if (st == OFS_OK && !(all = (unsigned char *)ofs__alloc((size_t)in.size, 1)))
        st = ofs__fail(err, OFS_ERR_NOMEM, "%s: cannot allocate %llu bytes", path, (unsigned long long)in.size);
    if (st == OFS_OK) {
        memcpy(all, head, 20);
        got = 20 + ofs__in_read(&in, all + 20, (size_t)in.size - 20, &e);
        if (got != (size_t)in.size) st = ofs__read_failed(path, got, in.size, e, err);
    }
    ofs__in_close(&in);
    if (st == OFS_OK) st = ofs_file_parse(all, (size_t)in.size, kind, path, &p, &plen, err);
    if (st == OFS_OK) {              /* keep the whole block; the payload moves to its start */
        memmove(all, p, plen);
        payload->data = all; payload->len = payload->cap = plen;
    } else {
        ofs__free(all);
    }
    return st;
}
#endif /* OFS_NO_STDIO */

/* Small helpers of later chapters. */
/* total += a * b, failing on overflow. */
static int ofs__size_madd(size_t *total, size_t a, size_t b)
{
    if (b != 0 && a > ((size_t)-1 - *total) / b) return 0;
    *total += a * b;
    return 1;
}

/* fma(a, b, c) = a b + c rounded once, where the processor has it (OFS__USE_FMA). */
static OFS__INLINE ofs_real ofs__fma(ofs_real a, ofs_real b, ofs_real c)
{
#if OFS__USE_FMA
    return sizeof(ofs_real) == sizeof(float) ? (ofs_real)fmaf((float)a, (float)b, (float)c)
                                             : (ofs_real)fma((double)a, (double)b, (double)c);
#else
    return a * b + c;
#endif
}

/* Seconds on a wall clock (one thread without OpenMP: its processor time), and the
   trainer's phase timer (chapter 15): phase[p] += the time since *clk, which moves
   on (phase NULL: off). */
static double ofs__wtime(void)
{
#ifdef _OPENMP
    return omp_get_wtime();
#else
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}
static void ofs__phase(double *phase, ofs_phase p, double *clk)
{
    if (phase) { const double now = ofs__wtime(); phase[p] += now - *clk; *clk = now; }
}

/* ==== Chapter 1: Why optimization is hard: the toy objectives ==================== */
/* Small functions whose shapes show what goes wrong: local minima (x cos(pi x)),
   saddle points (x^3, x^2 - y^2), vanishing gradients (tanh), narrow valleys
   (Rosenbrock), flat plateaus (Beale), several minima (Himmelblau). Each comes
   with its exact gradient and Hessian, so the later chapters can check them
   (chapter 13) and Newton can use them (chapter 4). */

OFSDEF ofs_toy ofs_toy_make(ofs_toy_kind kind)
{
    ofs_toy t;
    t.kind = kind; t.a = 1.0; t.b = 1.0;
    if (kind == OFS_TOY_XCOS) t.a = M_PI;
    if (kind == OFS_TOY_COSH) t.a = 0.5;
    if (kind == OFS_TOY_QUAD) t.b = 2.0;
    if (kind == OFS_TOY_ROSENBROCK) t.b = 100.0;
    return t;
}

OFSDEF int ofs_toy_dim(const ofs_toy *t) { return t->kind >= OFS_TOY_SADDLE ? 2 : 1; }

OFSDEF const char *ofs_toy_name(const ofs_toy *t)
{
    static const char *names[OFS_TOY_COUNT] = {
        "square", "xcos", "cosh", "tanh", "cube", "saddle", "quad", "rosenbrock", "beale", "himmelblau" };
    return (unsigned)t->kind < OFS_TOY_COUNT ? names[t->kind] : "unknown";
}

OFSDEF double ofs_toy_eval(const ofs_toy *t, const double *x, double *grad, double *hess)
{
    double a = t->a, b = t->b, u = x[0], v = ofs_toy_dim(t) == 2 ? x[1] : 0.0;
    double f = 0, g[2] = {0, 0}, h[4] = {0, 0, 0, 0};
    switch (t->kind) {
    case OFS_TOY_SQUARE: f = u * u; g[0] = 2 * u; h[0] = 2; break;
    case OFS_TOY_XCOS:   /* f = x cos(ax), f' = cos(ax) - a x sin(ax), f'' = -2a sin(ax) - a^2 x cos(ax) */
        f = u * cos(a * u); g[0] = cos(a * u) - a * u * sin(a * u);
        h[0] = -2 * a * sin(a * u) - a * a * u * cos(a * u); break;
    case OFS_TOY_COSH:   f = cosh(a * u); g[0] = a * sinh(a * u); h[0] = a * a * cosh(a * u); break;
    case OFS_TOY_TANH: { double th = tanh(u); f = th; g[0] = 1 - th * th; h[0] = -2 * th * (1 - th * th); break; }
    case OFS_TOY_CUBE:   f = u * u * u; g[0] = 3 * u * u; h[0] = 6 * u; break;
    case OFS_TOY_SADDLE: f = u * u - v * v; g[0] = 2 * u; g[1] = -2 * v; h[0] = 2; h[3] = -2; break;
    case OFS_TOY_QUAD:   f = a * u * u + b * v * v; g[0] = 2 * a * u; g[1] = 2 * b * v; h[0] = 2 * a; h[3] = 2 * b; break;
    case OFS_TOY_ROSENBROCK: {
        double r = v - u * u;
        f = (a - u) * (a - u) + b * r * r;
        g[0] = -2 * (a - u) - 4 * b * u * r; g[1] = 2 * b * r;
        h[0] = 2 - 4 * b * (v - 3 * u * u); h[1] = h[2] = -4 * b * u; h[3] = 2 * b; break; }
    case OFS_TOY_BEALE: {
        /* f = sum_i (c_i - x + x y^i)^2 with c = 1.5, 2.25, 2.625 */
        static const double c[3] = {1.5, 2.25, 2.625};
        int i;
        for (i = 1; i <= 3; i++) {
            double yi = pow(v, i), r = c[i - 1] - u + u * yi;
            double ru = yi - 1, rv = u * i * pow(v, i - 1), ruv = i * pow(v, i - 1);
            double rvv = i > 1 ? u * i * (i - 1) * pow(v, i - 2) : 0.0;
            f += r * r; g[0] += 2 * r * ru; g[1] += 2 * r * rv;
            h[0] += 2 * ru * ru; h[1] += 2 * (rv * ru + r * ruv); h[3] += 2 * (rv * rv + r * rvv);
        }
        h[2] = h[1]; break; }
    case OFS_TOY_HIMMELBLAU: {
        double p = u * u + v - 11, q = u + v * v - 7;
        f = p * p + q * q; g[0] = 4 * u * p + 2 * q; g[1] = 2 * p + 4 * v * q;
        h[0] = 12 * u * u + 4 * v - 42; h[1] = h[2] = 4 * u + 4 * v; h[3] = 12 * v * v + 4 * u - 26; break; }
    case OFS_TOY_COUNT: OFS_ASSERT(0); break;
    }
    if (grad) { grad[0] = g[0]; if (ofs_toy_dim(t) == 2) grad[1] = g[1]; }
    if (hess) { if (ofs_toy_dim(t) == 2) memcpy(hess, h, sizeof h); else hess[0] = h[0]; }
    return f;
}

#ifndef OFS_NO_STDIO
/* A 2-D landscape is seen best as contour lines, which gnuplot draws from f on a
   grid: rows "x1 x2 f", one block per value of x1, the blocks separated by a blank
   line. Point (i, j) is x1 = lo1 + (hi1 - lo1) i / (n1 - 1), x2 likewise, so that
   both ends of each range are on the grid.                                        */
OFSDEF ofs_status ofs_toy_grid_save(const char *path, const ofs_toy *t, const double box[4], int n1, int n2,
                                    int log10_f, ofs_err *err)
{
    ofs_buf b = {NULL, 0, 0, 0};
    char line[160];
    int i, j, m;
    ofs_status st;
    OFS_ASSERT(t);
    if (!path) return ofs__fail(err, OFS_ERR_ARG, "toy grid of %s: expected a file name, found NULL", ofs_toy_name(t));
    if (ofs_toy_dim(t) != 2)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected a 2-D toy objective for a grid, found %s (1-D)", path, ofs_toy_name(t));
    if (n1 < 2 || n2 < 2)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected at least 2 points along each axis, found %d x %d", path, n1, n2);
    if (!box) return ofs__fail(err, OFS_ERR_ARG, "%s: expected a box {lo1, hi1, lo2, hi2}, found NULL", path);
    if (!(box[0] < box[1]) || !(box[2] < box[3]) || !ofs__finite(box[1] - box[0]) || !ofs__finite(box[3] - box[2]))
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected a finite box with lo < hi on each axis, found [%g, %g] x [%g, %g]",
                         path, box[0], box[1], box[2], box[3]);
    /* the text is built in memory and saved as every file is (chapter 0) */
    m = snprintf(line, sizeof line, "# x1 x2 %s   (%s", log10_f ? "log10(f + 1e-12)" : "f", ofs_toy_name(t));
    ofs__put(&b, line, (size_t)m);
    if (t->kind == OFS_TOY_QUAD || t->kind == OFS_TOY_ROSENBROCK) {
        m = snprintf(line, sizeof line, ", a = %g, b = %g", t->a, t->b);
        ofs__put(&b, line, (size_t)m);
    }
    m = snprintf(line, sizeof line, ": %d x %d points on [%g, %g] x [%g, %g])\n", n1, n2, box[0], box[1], box[2], box[3]);
    ofs__put(&b, line, (size_t)m);
    for (i = 0; i < n1 && !b.failed; i++) {
        for (j = 0; j < n2; j++) {
            double x[2], v;
            x[0] = box[0] + (box[1] - box[0]) * i / (n1 - 1);
            x[1] = box[2] + (box[3] - box[2]) * j / (n2 - 1);
            v = ofs_toy_eval(t, x, NULL, NULL);
            m = snprintf(line, sizeof line, "%.6g %.6g %.6g\n", x[0], x[1], log10_f ? log10(v + 1e-12) : v);
            ofs__put(&b, line, (size_t)m);
        }
        ofs__put(&b, "\n", 1);
    }
    if (b.failed) st = ofs__fail(err, OFS_ERR_NOMEM, "%s: out of memory for the text of a %d x %d grid", path, n1, n2);
    else {
        const unsigned char *parts[1];
        parts[0] = b.data;
        st = ofs__save_parts(path, parts, &b.len, 1, (size_t)-1, err);
    }
    ofs_buf_free(&b);
    return st;
}
#endif

/* ==== Chapter 2: Convexity ======================================================= */
/* A convex set contains every chord between two of its points; the projection
   Proj(x) = argmin_{y in X} |x - y| onto a ball is a rescaling towards its centre:
       Proj(x) = c + (x - c) * min(1, r / |x - c|)                                   */

OFSDEF void ofs_project_ball(double *x, size_t n, const double *c, double r)
{
    double d2 = 0, s;
    size_t i;
    for (i = 0; i < n; i++) { double d = x[i] - (c ? c[i] : 0.0); d2 += d * d; }
    if (d2 <= r * r) return;
    s = r / sqrt(d2);
    for (i = 0; i < n; i++) { double ci = c ? c[i] : 0.0; x[i] = ci + (x[i] - ci) * s; }
}

/* ==== Chapter 3: Gradient descent, and the optimizer pattern ====================== */
/* Gradient descent is  x <- x - eta * grad f(x).  Every optimizer in this header
   follows one pattern:

       ofs_optim_config cfg = ofs_optim_defaults(OFS_SGD);  cfg.lr = 0.2;
       ofs_optim_init(&opt, &cfg, n, err);         allocates the moment arrays
       ofs_optim_step(&opt, x, grad, err);         one update, in place
       ofs_optim_free(&opt);

   ofs_optim_step validates the configuration (a scheduler may have changed it),
   advances the step counter t (1-based inside the update, as in PyTorch), and
   calls the algorithm's update: one pass over params, grads and state, with
   every scalar computed in double. Plain gradient descent is SGD with every
   option at zero:  theta <- theta - lr * g.

   Shared conventions (PyTorch's):
   - maximize replaces g by -g first, before weight decay is added;
   - coupled (L2) weight decay adds lambda*theta to g before any moment update;
     decoupled decay (AdamW) multiplies theta by (1 - lr*lambda) instead;
   - bias corrections use 1 - pow(beta, t) with t converted to double;
   - scalars (lr, bias corrections, 1 - beta) are computed in double, then every
     element is updated in ofs_real, as PyTorch updates a tensor in its dtype.
   The loops are one pass, vectorizable (compile with -O3 and -fno-math-errno,
   which changes no result, only whether sqrt may set errno); with -fopenmp,
   ofs_optim_step gives each thread a slice of a large array. Element-wise updates
   give the same bits either way.                                                */

/* What every update does to g and theta first, as three constants:
       g <- sign g + l2 theta      (sign = -1 to maximize; l2 = lambda if coupled)
       theta <- decay theta        (decay = 1 - lr lambda if decoupled, else 1)   */
typedef struct ofs__pre { ofs_real sign, l2, decay; } ofs__pre;

static ofs__pre ofs__prelude(const ofs_optim_config *c, int decoupled)
{
    ofs__pre q;
    q.sign = (ofs_real)(c->maximize ? -1.0 : 1.0);
    q.l2 = (ofs_real)(decoupled ? 0.0 : c->weight_decay);
    q.decay = (ofs_real)(decoupled ? 1.0 - c->lr * c->weight_decay : 1.0);
    return q;
}

#define OFS__R(x) ((ofs_real)(x))      /* a double scalar, rounded to ofs_real once */
#define OFS__REAL_MAX (sizeof(ofs_real) == sizeof(float) ? (double)FLT_MAX : DBL_MAX)   /* the largest finite ofs_real */
#ifdef _OPENMP   /* LAMB's second pass; the element-wise updates are split in ofs_optim_step */
#define OFS__LAMB_PARALLEL_FOR _Pragma("omp parallel for if (n > 32768 && !omp_in_parallel()) schedule(static)")
#else
#define OFS__LAMB_PARALLEL_FOR
#endif

/* max that propagates NaN from either side, as torch.maximum does (fmax does not). */
static double ofs__max(double a, double b) { return (a > b || a != a) ? a : b; }
static ofs_real ofs__maxr(ofs_real a, ofs_real b) { return (a > b || a != a) ? a : b; }

/* sign with sign(0) = 0 and sign(NaN) = NaN, as jnp.sign. */
static ofs_real ofs__sign(ofs_real x) { return x > 0 ? OFS__R(1) : x < 0 ? OFS__R(-1) : x; }

/* Keeping a step sane. A single huge gradient (a cliff in the loss surface) can throw
   the parameters far away; clipping bounds the step. PyTorch's clip_grad_norm_:
       N = (sum_i |g_i|^p)^(1/p)      (p = norm_type; p = INFINITY: max_i |g_i|)
       g <- g * min(1, max_norm / (N + 1e-6))
   and clip_grad_value_:  g_i <- min(max(g_i, -c), c).
   A non-finite N is refused (PyTorch's error_if_nonfinite=True) and g is left as
   it was: scaling by NaN would silently poison every parameter.                */

OFSDEF ofs_status ofs_check_finite(const ofs_real *x, size_t n, const char *what, int64_t step, ofs_err *err)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!ofs__finite((double)x[i]))
            return ofs__fail(err, OFS_ERR_NONFINITE, "%s: expected finite numbers, found %g at element %lu of %lu (step %lld)",
                             what, (double)x[i], (unsigned long)i, (unsigned long)n, (long long)step);
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_clip_grad_norm(ofs_real *g, size_t n, double max_norm, double norm_type,
                                     double *total_norm, ofs_err *err)
{
    double N = 0, coef;
    size_t i;
    if (!(max_norm >= 0) || !(norm_type >= 1))
        return ofs__fail(err, OFS_ERR_ARG, "clip_grad_norm: expected max_norm >= 0 and norm_type >= 1, found %g and %g", max_norm, norm_type);
    for (i = 0; i < n; i++) {
        double a = fabs((double)g[i]);
        if (norm_type == (double)INFINITY) N = ofs__max(N, a);
        else N += norm_type == 2 ? a * a : pow(a, norm_type);
    }
    if (norm_type != (double)INFINITY) N = norm_type == 2 ? sqrt(N) : pow(N, 1 / norm_type);
    if (total_norm) *total_norm = N;
    if (!ofs__finite(N))
        return ofs__fail(err, OFS_ERR_NONFINITE, "clip_grad_norm: the gradient norm is %g, not finite; the gradient was left unchanged", N);
    coef = max_norm / (N + 1e-6);
    if (coef < 1)
        for (i = 0; i < n; i++) g[i] = (ofs_real)((double)g[i] * coef);
    return ofs__ok(err);
}

OFSDEF void ofs_clip_grad_value(ofs_real *g, size_t n, double c)
{
    size_t i;
    for (i = 0; i < n; i++) {
        double x = (double)g[i];
        g[i] = (ofs_real)(x < -c ? -c : x > c ? c : x);
    }
}

/* The experiment of every toy chapter: run an optimizer on a toy objective and keep
   its path. The optimizer steps its own ofs_real copy p of the iterate; the toy is
   evaluated in double at x = p:

       for k = 0 .. steps:   f_k = f(x_k), g_k = grad f(x_k)     row k: x_k, f_k
                             x_{k+1} = update(x_k, g_k)          (k < steps)

   so row k is the point after k steps, and the last row the point the run ends at. */
OFSDEF ofs_status ofs_toy_trace(const ofs_toy *t, const ofs_optim_config *cfg, double *x, int steps,
                                double *path, ofs_err *err)
{
    ofs_optim opt;
    ofs_real p[2], g[2];
    double grad[2];
    int k, i, dim;
    ofs_status st;
    OFS_ASSERT(t && cfg);
    if (!x) return ofs__fail(err, OFS_ERR_ARG, "toy trace on %s: expected a start point x, found NULL", ofs_toy_name(t));
    if (steps < 0) return ofs__fail(err, OFS_ERR_ARG, "toy trace on %s: expected steps >= 0, found %d", ofs_toy_name(t), steps);
    dim = ofs_toy_dim(t);
    /* x is read back from p at each step, never in the loop that rounds it: GCC 12's
       SLP vectorizer (-O2) drops the rounding from "p = (float)x; x = (double)p". */
    for (i = 0; i < dim; i++) p[i] = (ofs_real)x[i];
    if ((st = ofs_optim_init(&opt, cfg, (size_t)dim, err)) != OFS_OK) return st;
    for (k = 0; k <= steps; k++) {
        double f;
        for (i = 0; i < dim; i++) x[i] = (double)p[i];
        f = ofs_toy_eval(t, x, grad, NULL);
        if (path) { for (i = 0; i < dim; i++) *path++ = x[i]; *path++ = f; }
        if (k == steps) break;
        for (i = 0; i < dim; i++) g[i] = (ofs_real)grad[i];
        if ((st = ofs_optim_step(&opt, p, g, err)) != OFS_OK) break;
    }
    ofs_optim_free(&opt);
    return st == OFS_OK ? ofs__ok(err) : st;
}

#ifndef OFS_NO_STDIO
OFSDEF ofs_status ofs_toy_trace_write(FILE *f, const ofs_toy *t, const double *path, int steps, ofs_err *err)
{
    int k, dim, ok = 1;
    OFS_ASSERT(t);
    if (!f || !path)
        return ofs__fail(err, OFS_ERR_ARG, "toy trace on %s: expected a file and a path to write, found %s NULL",
                         ofs_toy_name(t), !f ? "the file" : "the path");
    if (steps < 0) return ofs__fail(err, OFS_ERR_ARG, "toy trace on %s: expected steps >= 0, found %d", ofs_toy_name(t), steps);
    dim = ofs_toy_dim(t);
    for (k = 0; k <= steps && ok; k++, path += dim + 1)
        ok = (dim == 1 ? fprintf(f, "%d %.10g %.10g\n", k, path[0], path[1])
                       : fprintf(f, "%d %.10g %.10g %.10g\n", k, path[0], path[1], path[2])) > 0;
    if (!ok || fprintf(f, "\n\n") < 0 || ferror(f))
        return ofs__fail(err, OFS_ERR_IO, "toy trace on %s: writing the path failed (%d of %d rows written)",
                         ofs_toy_name(t), ok ? k : k - 1, steps + 1);
    return ofs__ok(err);
}
#endif

/* ==== Chapter 4: Newton's method ================================================= */
/* Newton's method uses the curvature: it jumps to the minimum of the local quadratic
   model f(x+d) ~ f + g.d + d.H.d/2, that is d = -H^-1 g:
       x <- x - eta * (H + damping * I)^-1 * grad f(x)
   With eta = 1 and damping = 0 this is the pure method; near a minimum with H > 0
   it converges at least quadratically (the number of correct digits doubles each
   step), cubically where f''' vanishes at the minimum, as for cosh.
   Where H is not positive definite (x cos(0.15 pi x) near a maximum) it heads for
   the wrong stationary point; a step size eta < 1 or a damping that makes H + cI
   positive are the simplest repairs (D2L 12.3.3). */

OFSDEF ofs_status ofs_newton_step(const ofs_toy *t, double *x, double eta, double damping, ofs_err *err)
{
    double g[2], h[4], d[2];
    int dim = ofs_toy_dim(t);
    ofs_toy_eval(t, x, g, h);
    if (dim == 1) {
        double a = h[0] + damping;
        if (a == 0 || !ofs__finite(g[0] / a))
            return ofs__fail(err, OFS_ERR_NONFINITE, "newton: expected a non-zero second derivative at x = %g, found f''(x) + damping = %g", x[0], a);
        x[0] -= eta * g[0] / a;
    } else {
        double a = h[0] + damping, b = h[1], c = h[2], e = h[3] + damping, det = a * e - b * c;
        if (det == 0 || !ofs__finite(1.0 / det))
            return ofs__fail(err, OFS_ERR_NONFINITE, "newton: expected an invertible Hessian at (%g, %g), found determinant %g", x[0], x[1], det);
        d[0] = (e * g[0] - b * g[1]) / det;   /* Cramer's rule for the 2x2 system */
        d[1] = (a * g[1] - c * g[0]) / det;
        x[0] -= eta * d[0]; x[1] -= eta * d[1];
    }
    return ofs__ok(err);
}

/* ==== Chapter 4b: Quasi-Newton: L-BFGS ============================================ */
/* Newton's step d = -H^-1 g needs the n x n Hessian and a solve. A quasi-Newton
   method builds the inverse from what the gradients already tell: a step
   s = x_{k+1} - x_k changes the gradient by y = g_{k+1} - g_k, and for a quadratic
   y = H s exactly (the secant equation). BFGS keeps a dense n x n matrix and updates
   it at each step so that it maps the new y to its s; L-BFGS (Nocedal 1980, Liu and
   Nocedal 1989) keeps only the last m pairs (s_i, y_i), 2 m n numbers, and applies
   that matrix to the gradient without ever forming it, by the two-loop recursion
   (Nocedal and Wright, Algorithm 7.4), with rho_i = 1 / (y_i.s_i):

       q = -g
       for i = newest .. oldest:   a_i = rho_i s_i.q        q = q - a_i y_i
       r = gamma q                 gamma = s.y / y.y of the newest pair (H_diag)
       for i = oldest .. newest:   b_i = rho_i y_i.r        r = r + (a_i - b_i) s_i
       d = r

   d is -H_k g for the BFGS inverse H_k built from the pairs on top of gamma I.
   gamma I is the guess before any pair: y = H s makes s.y / y.y = s.H s / s.H H s,
   the inverse of the curvature along the last step, so that d has the length of a
   Newton step from the start and lr = 1 is the natural step. A pair is kept only if
   y.s > 1e-10: BFGS stays positive definite (d points downhill) only along positive
   curvature, which a line search with the Wolfe conditions (below) guarantees and a
   fixed step does not.

   This is torch.optim.LBFGS of torch 1.13 (itself a port of minFunc), step for step.
   One ofs_lbfgs_step is one optimizer.step(closure):

       evaluate f, g at x;  if max|g_i| <= tolerance_grad: return     (1 evaluation)
       repeat, at most max_iter times:
           the first iteration ever: d = -g, no pairs, gamma = 1
           else: y = g - g_prev, s = t d (the last d and t); keep (s, y) if y.s > 1e-10,
                 dropping the oldest pair when m are kept; d by the two-loop recursion
           g_prev = g, f_prev = f
           t = lr, or min(1, 1 / sum_i |g_i|) lr on the first iteration ever
           if g.d > -tolerance_change: stop (not_descent: nothing moves)
           no line search: x = x + t d; evaluate f, g there, except on the last iteration
           strong Wolfe:   t from the line search below; x = x + t d; f, g of that point
           stop on the first of: max_iter iterations; max_eval evaluations in this step
           (the line search may pass it); max|g_i| <= tolerance_grad;
           max_i |t d_i| <= tolerance_change; |f - f_prev| < tolerance_change

   Arithmetic as torch's: the vectors and the quantities torch keeps as tensors (g.d,
   y.s, rho, gamma, a_i, b_i) are ofs_real; the loss and t, Python floats there, are
   double. torch's add_(v, alpha) and its dot products (OpenBLAS, below 16 elements)
   round a b + c once (fused multiply-add) on a processor that has it, so the code
   does too, always, and sum_i |g_i| for the first t is added in torch's order: then,
   in double, the iterates are torch's to the last bit. (From n = 16 on, OpenBLAS's
   dot products add in another order, and the iterates agree to rounding only.) In
   float the line search's scalars stay double where torch rounds some of them to
   float: close to torch's float32, not its bits.                                  */

/* The compiler must not fuse a b + c on its own here (GCC does in its GNU modes, clang
   within an expression, when the target has FMA): the line search's scalar arithmetic
   would then round differently from torch's, and on Rosenbrock a difference of one
   rounding grows past 1e-10 within tens of iterations. The fused operations torch
   does are written out (ofs__fmadd). Until the end of the chapter:                  */
#if defined(__wasm__)
/* WebAssembly has no fused multiply-add: nothing to turn off (clang ignores the pragma there) */
#elif defined(__clang__) && __clang_major__ >= 11
#pragma float_control(push)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

static const char *const ofs__ls_names[OFS_LS_COUNT] = {"none", "strong_wolfe"};
static const char *const ofs__lbfgs_stop_names[OFS_LBFGS_STOP_COUNT] = {
    "none", "tolerance_grad", "not_descent", "max_iter", "max_eval", "tolerance_change_x", "tolerance_change_f", "failed"};

OFSDEF ofs_lbfgs_config ofs_lbfgs_defaults(void)
{
    ofs_lbfgs_config c;
    c.lr = 1.0; c.max_iter = 20; c.max_eval = 0;
    c.tolerance_grad = 1e-7; c.tolerance_change = 1e-9;
    c.history_size = 100; c.line_search = OFS_LS_NONE;
    return c;
}

OFSDEF const char *ofs_lbfgs_line_search_name(ofs_line_search ls)
{
    return (unsigned)ls < OFS_LS_COUNT ? ofs__ls_names[ls] : "unknown";
}

OFSDEF const char *ofs_lbfgs_stop_name(ofs_lbfgs_stop stop)
{
    return (unsigned)stop < OFS_LBFGS_STOP_COUNT ? ofs__lbfgs_stop_names[stop] : "unknown";
}

OFSDEF ofs_status ofs_lbfgs_line_search_from_name(const char *name, ofs_line_search *ls, ofs_err *err)
{
    char list[128] = "";
    int k;
    OFS_ASSERT(ls);
    for (k = 0; k < OFS_LS_COUNT; k++) {
        if (name && strcmp(name, ofs__ls_names[k]) == 0) { *ls = (ofs_line_search)k; return ofs__ok(err); }
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"", k == 0 ? "" : k + 1 < OFS_LS_COUNT ? ", " : " or ",
                 ofs__ls_names[k]);
    }
    if (!name) return ofs__fail(err, OFS_ERR_ARG, "lbfgs: expected a line search name, %s, found NULL", list);
    return ofs__fail(err, OFS_ERR_ARG, "lbfgs: expected a line search %s, found \"%s\"", list, name);
}

OFSDEF ofs_status ofs_lbfgs_validate(const ofs_lbfgs_config *c, ofs_err *err)
{
    OFS_ASSERT(c);
    if (!(ofs__finite(c->lr) && c->lr > 0))
        return ofs__fail(err, OFS_ERR_ARG, "lbfgs: expected a finite learning rate lr > 0, found %g", c->lr);
    if (c->max_iter < 1) return ofs__fail(err, OFS_ERR_ARG, "lbfgs: expected max_iter >= 1, found %d", c->max_iter);
    if (c->max_eval < 0)
        return ofs__fail(err, OFS_ERR_ARG, "lbfgs: expected max_eval >= 0 (0: max_iter * 5 / 4), found %d", c->max_eval);
    if (!(ofs__finite(c->tolerance_grad) && c->tolerance_grad >= 0))
        return ofs__fail(err, OFS_ERR_ARG, "lbfgs: expected a finite tolerance_grad >= 0, found %g", c->tolerance_grad);
    if (!(ofs__finite(c->tolerance_change) && c->tolerance_change >= 0))
        return ofs__fail(err, OFS_ERR_ARG, "lbfgs: expected a finite tolerance_change >= 0, found %g", c->tolerance_change);
    if (c->history_size < 1)
        return ofs__fail(err, OFS_ERR_ARG, "lbfgs: expected history_size >= 1 (pairs kept), found %d", c->history_size);
    if ((unsigned)c->line_search >= OFS_LS_COUNT)
        return ofs__fail(err, OFS_ERR_ARG, "lbfgs: expected line_search 0 (%s) to %d (%s), found %d", ofs__ls_names[0],
                         OFS_LS_COUNT - 1, ofs__ls_names[OFS_LS_COUNT - 1], (int)c->line_search);
    return ofs__ok(err);
}

static int64_t ofs__lbfgs_max_eval(const ofs_lbfgs_config *c)   /* torch: max_iter * 5 // 4 by default */
{
    return c->max_eval > 0 ? (int64_t)c->max_eval : (int64_t)c->max_iter * 5 / 4;
}

static size_t ofs__lbfgs_reals(size_t n, size_t m) { return (2 * m + 8) * n + 2 * m; }

OFSDEF void ofs_lbfgs_reset(ofs_lbfgs *o)
{
    OFS_ASSERT(o);
    o->n_iter = o->func_evals = o->step_iters = o->step_evals = 0;
    o->stop = OFS_LBFGS_NONE;
    o->t = 0; o->prev_loss = 0; o->H_diag = 1;
    o->hist_len = o->hist_head = 0; o->has_prev = 0;
    if (o->d) memset(o->d, 0, ofs__lbfgs_reals(o->n, (size_t)o->m) * sizeof(ofs_real));
}

OFSDEF ofs_status ofs_lbfgs_init(ofs_lbfgs *o, const ofs_lbfgs_config *cfg, size_t n, ofs_err *err)
{
    const size_t lim = (size_t)-1 / sizeof(ofs_real) - OFS__ALIGN;
    size_t m;
    ofs_status st;
    OFS_ASSERT(o && cfg);
    memset(o, 0, sizeof *o);
    if ((st = ofs_lbfgs_validate(cfg, err)) != OFS_OK) return st;
    if (n == 0) return ofs__fail(err, OFS_ERR_ARG, "lbfgs: expected at least one parameter, found n = 0");
    m = (size_t)cfg->history_size;
    if (m >= lim / 4 || n > (lim - 2 * m) / (2 * m + 8) ||
        (o->d = (ofs_real *)ofs__alloc(ofs__lbfgs_reals(n, m), sizeof(ofs_real))) == NULL)
        return ofs__fail(err, OFS_ERR_NOMEM, "lbfgs: cannot allocate (2 history_size + 8) n + 2 history_size reals for "
                         "n = %lu and history_size %d", (unsigned long)n, cfg->history_size);
    o->prev_grad = o->d + n;
    o->old_dirs = o->prev_grad + n;
    o->old_stps = o->old_dirs + m * n;
    o->work = o->old_stps + m * n;      /* 6 n: g, the trial x, g_new, g_prev, the bracket's two */
    o->ro = o->work + 6 * n;
    o->al = o->ro + m;
    o->cfg = *cfg; o->n = n; o->m = cfg->history_size;
    ofs_lbfgs_reset(o);
    return ofs__ok(err);
}

OFSDEF void ofs_lbfgs_free(ofs_lbfgs *o)
{
    OFS_ASSERT(o);
    ofs__free(o->d);
    o->d = o->prev_grad = o->old_dirs = o->old_stps = o->ro = o->al = o->work = NULL;
    o->n = 0;
}

/* a b + c rounded once, always (the library's other fma, chapter 15's, follows the
   compile target; this one follows torch). Without hardware FMA in the compile
   target this is a call to the C library, which uses the processor's when it has one. */
static ofs_real ofs__fmadd(ofs_real a, ofs_real b, ofs_real c)
{
    return sizeof(ofs_real) == sizeof(float) ? (ofs_real)fmaf((float)a, (float)b, (float)c)
                                             : (ofs_real)fma((double)a, (double)b, (double)c);
}

static ofs_real ofs__dot(const ofs_real *a, const ofs_real *b, size_t n)    /* sum_i a_i b_i, in order */
{
    ofs_real s = 0;
    size_t i;
    for (i = 0; i < n; i++) s = ofs__fmadd(a[i], b[i], s);
    return s;
}

static ofs_real ofs__amax(const ofs_real *a, size_t n)                      /* max_i |a_i| */
{
    ofs_real m = 0;
    size_t i;
    for (i = 0; i < n; i++) m = ofs__maxr(m, a[i] < 0 ? -a[i] : a[i]);
    return m;
}

/* out = x + alpha v (out may be x): torch's x.add_(v, alpha=alpha). */
static void ofs__add_scaled(ofs_real *out, const ofs_real *x, ofs_real alpha, const ofs_real *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) out[i] = ofs__fmadd(v[i], alpha, x[i]);
}

/* Row i (0 = the oldest pair) of a history ring. */
static ofs_real *ofs__lbfgs_row(const ofs_lbfgs *o, ofs_real *ring, int i)
{
    return ring + (size_t)((o->hist_head + i) % o->m) * o->n;
}

/* The newest pair, from the last iteration's d and t and the gradient g now:
   y = g - g_prev, s = t d, kept if y.s > 1e-10 (the oldest goes when m are kept);
   then gamma = y.s / y.y. */
static void ofs__lbfgs_update(ofs_lbfgs *o, const ofs_real *g)
{
    const size_t n = o->n;
    const ofs_real t = OFS__R(o->t);
    ofs_real ys = 0, *y, *s;
    size_t j;
    for (j = 0; j < n; j++) ys = ofs__fmadd(g[j] - o->prev_grad[j], o->d[j] * t, ys);
    if (!(ys > OFS__R(1e-10))) return;
    if (o->hist_len == o->m) { o->hist_head = (o->hist_head + 1) % o->m; o->hist_len--; }
    y = ofs__lbfgs_row(o, o->old_dirs, o->hist_len);
    s = ofs__lbfgs_row(o, o->old_stps, o->hist_len);
    for (j = 0; j < n; j++) { y[j] = g[j] - o->prev_grad[j]; s[j] = o->d[j] * t; }
    o->ro[(o->hist_head + o->hist_len) % o->m] = 1 / ys;
    o->hist_len++;
    o->H_diag = ys / ofs__dot(y, y, n);
}

/* d = -H g by the two-loop recursion above; q and r are d itself. */
static void ofs__lbfgs_direction(ofs_lbfgs *o, const ofs_real *g)
{
    const size_t n = o->n;
    ofs_real *d = o->d;
    size_t j;
    int i;
    if (o->n_iter == 1) {          /* the first iteration: steepest descent, no pairs */
        for (j = 0; j < n; j++) d[j] = -g[j];
        o->hist_len = o->hist_head = 0;
        o->H_diag = 1;
        return;
    }
    ofs__lbfgs_update(o, g);
    for (j = 0; j < n; j++) d[j] = -g[j];                                     /* q = -g */
    for (i = o->hist_len - 1; i >= 0; i--) {
        const ofs_real rho = o->ro[(o->hist_head + i) % o->m];
        o->al[i] = ofs__dot(ofs__lbfgs_row(o, o->old_stps, i), d, n) * rho;   /* a_i = rho_i s_i.q */
        ofs__add_scaled(d, d, -o->al[i], ofs__lbfgs_row(o, o->old_dirs, i), n); /* q = q - a_i y_i */
    }
    for (j = 0; j < n; j++) d[j] = d[j] * o->H_diag;                          /* r = gamma q */
    for (i = 0; i < o->hist_len; i++) {
        const ofs_real rho = o->ro[(o->hist_head + i) % o->m];
        const ofs_real b = ofs__dot(ofs__lbfgs_row(o, o->old_dirs, i), d, n) * rho;  /* b_i = rho_i y_i.r */
        ofs__add_scaled(d, d, o->al[i] - b, ofs__lbfgs_row(o, o->old_stps, i), n);   /* r = r + (a_i - b_i) s_i */
    }
}

/* One call of the closure, counted, and refused unless f and every g_i are finite. */
static ofs_status ofs__lbfgs_eval(ofs_lbfgs *o, ofs_closure fn, void *ctx, const ofs_real *x, ofs_real *g, double *f,
                                  ofs_err *err)
{
    size_t i;
    *f = fn(x, g, ctx);
    o->func_evals++; o->step_evals++;
    if (!ofs__finite(*f))
        return ofs__fail(err, OFS_ERR_NONFINITE, "lbfgs: expected a finite loss from the closure, found %g (evaluation %lld "
                         "of this step); x was left at the last point where the closure returned finite numbers",
                         *f, (long long)o->step_evals);
    for (i = 0; i < o->n; i++)
        if (!ofs__finite((double)g[i]))
            return ofs__fail(err, OFS_ERR_NONFINITE, "lbfgs: expected a finite gradient from the closure, found %g at element "
                             "%lu of %lu (evaluation %lld of this step, loss %g); x was left at the last point where the "
                             "closure returned finite numbers", (double)g[i], (unsigned long)i, (unsigned long)o->n,
                             (long long)o->step_evals, *f);
    return OFS_OK;
}

/* The trial point xt = x + t d, refused when it is not finite (t or d overflowed). */
static ofs_status ofs__lbfgs_trial(const ofs_lbfgs *o, ofs_real *xt, const ofs_real *x, double t, ofs_err *err)
{
    size_t i;
    ofs__add_scaled(xt, x, OFS__R(t), o->d, o->n);
    for (i = 0; i < o->n; i++)
        if (!ofs__finite((double)xt[i]))
            return ofs__fail(err, OFS_ERR_NONFINITE, "lbfgs: expected a finite point x + t d, found %g at element %lu of %lu "
                             "(t = %g, d = %g); x is unchanged", (double)xt[i], (unsigned long)i, (unsigned long)o->n, t,
                             (double)o->d[i]);
    return OFS_OK;
}

/* ---- The strong Wolfe line search ----------------------------------------------
   Along d the loss is phi(t) = f(x + t d), with slope phi'(t) = g(x + t d).d, and
   phi'(0) = g.d < 0. A step t is accepted when it satisfies both strong Wolfe
   conditions (c1 = 1e-4, c2 = 0.9, as torch and Nocedal and Wright for quasi-Newton):
       sufficient decrease (Armijo):  phi(t) <= phi(0) + c1 t phi'(0)
       curvature:                     |phi'(t)| <= c2 |phi'(0)|
   The first says the loss fell by at least a small fraction of what the slope
   promised; the second that the slope has flattened, so t is not uselessly short,
   and it makes y.s = (phi'(t) - phi'(0)) t > 0: the new pair keeps H positive.
   torch's search (a port of minFunc's lswolfe, Nocedal and Wright Algorithms 3.5 and
   3.6) runs in two phases, together at most 25 evaluations after the first:
   - bracketing: from t, while phi keeps falling with a negative slope, extrapolate by
     cubic interpolation into [t + 0.01 (t - t_prev), 10 t]; stop at a t that satisfies
     both conditions, or once [t_prev, t] must hold one (phi rose above the Armijo line
     or above phi(t_prev), or the slope turned non-negative);
   - zoom: shrink that bracket by cubic interpolation (kept 10% of its width away from
     its ends when it crowds one), keeping the lower end "low", until the conditions
     hold or the bracket is shorter than tolerance_change / max_i |d_i|.
   The result is the bracket's low point: its t, loss and gradient.                */
#define OFS__WOLFE_C1 1e-4
#define OFS__WOLFE_C2 0.9
#define OFS__WOLFE_MAX_LS 25

/* Python's min(a, b) and max(a, b): the first argument unless the second is
   strictly smaller (larger), as torch's search compares. */
static double ofs__pymin(double a, double b) { return b < a ? b : a; }
static double ofs__pymax(double a, double b) { return b > a ? b : a; }

/* The minimum of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2
   there (minFunc's polyinterp for two points, as torch ports it):
       d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2)
       d2 = sqrt(d1^2 - g1 g2)
       t  = x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2)        (x1 <= x2; else the
                                                         same with 1 and 2 swapped)
   clamped to [lo, hi]; when d1^2 < g1 g2 the cubic has no minimum: (lo + hi) / 2.  */
static double ofs__cubic_min(double x1, double f1, double g1, double x2, double f2, double g2, double lo, double hi)
{
    const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2), d2sq = d1 * d1 - g1 * g2;
    double d2, t;
    if (!(d2sq >= 0)) return (lo + hi) / 2;
    d2 = sqrt(d2sq);
    t = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                 : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return ofs__pymin(ofs__pymax(t, lo), hi);
}

/* The search's state: phi(0) and phi'(0); the newest trial (t, phi, phi', its
   gradient in gt); the bracket, two points (one once done) with their gradients. */
typedef struct ofs__wolfe {
    ofs_lbfgs *o;
    const ofs_real *x;
    ofs_closure fn;
    void *ctx;
    double f0, t, f, bt[2], bf[2];
    ofs_real gtd0, gtd, bgtd[2], d_norm, *gt, *gp, *bg[2];
    int low, high, done, iter;
} ofs__wolfe;

/* Evaluate phi and phi' at t. */
static ofs_status ofs__wolfe_eval(ofs__wolfe *w, double t, ofs_err *err)
{
    ofs_lbfgs *o = w->o;
    ofs_real *xt = o->work + o->n;
    ofs_status st;
    if ((st = ofs__lbfgs_trial(o, xt, w->x, t, err)) != OFS_OK) return st;
    if ((st = ofs__lbfgs_eval(o, w->fn, w->ctx, xt, w->gt, &w->f, err)) != OFS_OK) return st;
    w->t = t;
    w->gtd = ofs__dot(w->gt, o->d, o->n);
    return OFS_OK;
}

/* Bracket point k becomes (t, f, g, g.d). */
static void ofs__wolfe_keep(ofs__wolfe *w, int k, double t, double f, const ofs_real *g, ofs_real gtd)
{
    w->bt[k] = t; w->bf[k] = f; w->bgtd[k] = gtd;
    if (w->bg[k] != g) memcpy(w->bg[k], g, w->o->n * sizeof *g);
}

static int ofs__wolfe_armijo_fails(const ofs__wolfe *w)   /* phi(t) > phi(0) + c1 t phi'(0) */
{
    return w->f > w->f0 + OFS__WOLFE_C1 * w->t * (double)w->gtd0;
}

static int ofs__wolfe_curvature_holds(const ofs__wolfe *w)   /* |phi'(t)| <= c2 |phi'(0)| */
{
    return fabs((double)w->gtd) <= -OFS__WOLFE_C2 * (double)w->gtd0;
}

/* Phase 1: from w->t, extrapolate until a point satisfies both conditions (done) or
   [t_prev, t] brackets one. After 25 trials without either: the bracket [0, t]. */
static ofs_status ofs__wolfe_bracket(ofs__wolfe *w, ofs_err *err)
{
    const ofs_real *g_prev = w->o->work;       /* the gradient at x, then the last trial's */
    double t_prev = 0, f_prev = w->f0;
    ofs_real gtd_prev = w->gtd0;
    ofs_status st;
    if ((st = ofs__wolfe_eval(w, w->t, err)) != OFS_OK) return st;
    while (w->iter < OFS__WOLFE_MAX_LS) {
        const int rose = ofs__wolfe_armijo_fails(w) || (w->iter > 1 && w->f >= f_prev);
        double lo, hi, t_next;
        if (!rose && ofs__wolfe_curvature_holds(w)) {                  /* both conditions hold */
            ofs__wolfe_keep(w, 0, w->t, w->f, w->gt, w->gtd);
            w->done = 1;
            return OFS_OK;
        }
        if (rose || w->gtd >= 0) {                                     /* [t_prev, t] holds one */
            ofs__wolfe_keep(w, 0, t_prev, f_prev, g_prev, gtd_prev);
            ofs__wolfe_keep(w, 1, w->t, w->f, w->gt, w->gtd);
            return OFS_OK;
        }
        lo = w->t + 0.01 * (w->t - t_prev);
        hi = w->t * 10;
        t_next = ofs__cubic_min(t_prev, f_prev, (double)gtd_prev, w->t, w->f, (double)w->gtd, lo, hi);
        t_prev = w->t; f_prev = w->f; gtd_prev = w->gtd;
        memcpy(w->gp, w->gt, w->o->n * sizeof *w->gt);
        g_prev = w->gp;
        if ((st = ofs__wolfe_eval(w, t_next, err)) != OFS_OK) return st;
        w->iter++;
    }
    ofs__wolfe_keep(w, 0, 0, w->f0, w->o->work, w->gtd0);
    ofs__wolfe_keep(w, 1, w->t, w->f, w->gt, w->gtd);
    return OFS_OK;
}

/* The next zoom trial: the cubic's minimum in the bracket, moved to 10% of its width
   from the nearer end if it lands within that twice in a row, or on or past an end. */
static double ofs__wolfe_zoom_t(const ofs__wolfe *w, int *insuf)
{
    const double hi = ofs__pymax(w->bt[0], w->bt[1]), lo = ofs__pymin(w->bt[0], w->bt[1]), eps = 0.1 * (hi - lo);
    double t = ofs__cubic_min(w->bt[0], w->bf[0], (double)w->bgtd[0], w->bt[1], w->bf[1], (double)w->bgtd[1],
                              w->bt[0] <= w->bt[1] ? w->bt[0] : w->bt[1], w->bt[0] <= w->bt[1] ? w->bt[1] : w->bt[0]);
    if (ofs__pymin(hi - t, t - lo) < eps) {
        if (*insuf || t >= hi || t <= lo) {
            t = fabs(t - hi) < fabs(t - lo) ? hi - eps : lo + eps;
            *insuf = 0;
        } else *insuf = 1;
    } else *insuf = 0;
    return t;
}

/* Phase 2: shrink the bracket until a trial satisfies both conditions, the bracket
   is shorter than tolerance_change / max|d_i|, or the 25 trials are spent. */
static ofs_status ofs__wolfe_zoom(ofs__wolfe *w, ofs_err *err)
{
    int insuf = 0;
    ofs_status st;
    w->low = w->done || w->bf[0] <= w->bf[1] ? 0 : 1;
    w->high = 1 - w->low;
    while (!w->done && w->iter < OFS__WOLFE_MAX_LS) {
        if (fabs(w->bt[1] - w->bt[0]) * (double)w->d_norm < w->o->cfg.tolerance_change) break;
        if ((st = ofs__wolfe_eval(w, ofs__wolfe_zoom_t(w, &insuf), err)) != OFS_OK) return st;
        w->iter++;
        if (ofs__wolfe_armijo_fails(w) || w->f >= w->bf[w->low]) {     /* the new point is the high end */
            ofs__wolfe_keep(w, w->high, w->t, w->f, w->gt, w->gtd);
            w->low = w->bf[0] <= w->bf[1] ? 0 : 1;
            w->high = 1 - w->low;
        } else {                                                     /* it is the new low end */
            if (ofs__wolfe_curvature_holds(w)) w->done = 1;
            else if ((double)w->gtd * (w->bt[w->high] - w->bt[w->low]) >= 0)
                ofs__wolfe_keep(w, w->high, w->bt[w->low], w->bf[w->low], w->bg[w->low], w->bgtd[w->low]);
            ofs__wolfe_keep(w, w->low, w->t, w->f, w->gt, w->gtd);
        }
    }
    return OFS_OK;
}

/* The search from x along o->d, first trying t = o->t; o->t becomes the step found,
   *f and g (the step's gradient, o->work) its loss and gradient. */
static ofs_status ofs__strong_wolfe(ofs_lbfgs *o, const ofs_real *x, ofs_closure fn, void *ctx, ofs_real gtd, double *f,
                                    ofs_err *err)
{
    ofs__wolfe w;
    ofs_status st;
    memset(&w, 0, sizeof w);
    w.o = o; w.x = x; w.fn = fn; w.ctx = ctx;
    w.f0 = *f; w.gtd0 = gtd; w.t = o->t;
    w.d_norm = ofs__amax(o->d, o->n);
    w.gt = o->work + 2 * o->n; w.gp = o->work + 3 * o->n;
    w.bg[0] = o->work + 4 * o->n; w.bg[1] = o->work + 5 * o->n;
    if ((st = ofs__wolfe_bracket(&w, err)) != OFS_OK) return st;
    if ((st = ofs__wolfe_zoom(&w, err)) != OFS_OK) return st;
    o->t = w.bt[w.low];
    *f = w.bf[w.low];
    memcpy(o->work, w.bg[w.low], o->n * sizeof *o->work);
    return OFS_OK;
}

/* ---- The step ------------------------------------------------------------------ */

/* sum_i |g_i| added in the order of torch's CPU sum (ATen's cascade_sum on vectors of
   four lanes), so that the first t has torch's bits. Lane l sums the elements 4 v + l
   of the whole vectors v = 0 .. n/4 - 1: vector v goes to partial sum v mod 4 while
   whole groups of four vectors last, and the partial sums take blocks of 16 groups
   through a cascade of four levels; the leftover vectors go to partial sum 0, and the
   partial sums are added in order. The n mod 4 elements after the last vector are
   summed first, then the four lanes are added in order. (Checked against torch 1.13's
   float64 sum for n = 1 to 40,000.)                                                */
static ofs_real ofs__abs_lane_sum(const ofs_real *g, size_t l, size_t nv)
{
    ofs_real acc[4][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}, a;
    const size_t groups = nv / 4;
    size_t i = 0, v;
    int j, k;
#define OFS__ABS_AT(e) (a = g[e], a < 0 ? -a : a)
    while (i + 16 <= groups) {
        for (v = 0; v < 16; v++, i++)
            for (k = 0; k < 4; k++) acc[0][k] += OFS__ABS_AT(4 * (4 * i + (size_t)k) + l);
        for (j = 1; j < 4; j++) {
            for (k = 0; k < 4; k++) { acc[j][k] += acc[j - 1][k]; acc[j - 1][k] = 0; }
            if ((i & ((size_t)15 << (4 * j))) != 0) break;
        }
    }
    for (; i < groups; i++)
        for (k = 0; k < 4; k++) acc[0][k] += OFS__ABS_AT(4 * (4 * i + (size_t)k) + l);
    for (j = 1; j < 4; j++)
        for (k = 0; k < 4; k++) acc[0][k] += acc[j][k];
    for (v = 4 * groups; v < nv; v++) acc[0][0] += OFS__ABS_AT(4 * v + l);
    for (k = 1; k < 4; k++) acc[0][0] += acc[0][k];
    return acc[0][0];
}

static ofs_real ofs__abs_sum(const ofs_real *g, size_t n)
{
    ofs_real s = 0, a;
    size_t i, l;
    for (i = n / 4 * 4; i < n; i++) s += OFS__ABS_AT(i);
    for (l = 0; l < 4; l++) s += ofs__abs_lane_sum(g, l, n / 4);
    return s;
#undef OFS__ABS_AT
}

/* The first step length: min(1, 1 / sum_i |g_i|) lr on the very first iteration (the
   direction is -g, of unknown scale), lr after. */
static double ofs__lbfgs_first_t(const ofs_lbfgs *o, const ofs_real *g)
{
    ofs_real r;
    if (o->n_iter > 1) return o->cfg.lr;
    r = 1 / ofs__abs_sum(g, o->n);
    return r < 1 ? (double)(r * OFS__R(o->cfg.lr)) : o->cfg.lr;
}

/* Move x along d: by the fixed t, evaluating there unless this is the step's last
   iteration; or by the strong Wolfe search. x changes only once the new point is
   accepted; g (o->work), *f and *opt (max|g_i| <= tolerance_grad) follow it. */
static ofs_status ofs__lbfgs_move(ofs_lbfgs *o, ofs_real *x, ofs_closure fn, void *ctx, ofs_real gtd, int last,
                                  double *f, int *opt, ofs_err *err)
{
    const size_t n = o->n;
    ofs_real *g = o->work, *xt = o->work + n;
    ofs_status st;
    double known = *f;
    if (o->cfg.line_search == OFS_LS_STRONG_WOLFE) {
        if ((st = ofs__strong_wolfe(o, x, fn, ctx, gtd, f, err)) != OFS_OK) return st;
        ofs__add_scaled(x, x, OFS__R(o->t), o->d, n);       /* the search's low point, as evaluated */
        known = *f;
    } else {
        if ((st = ofs__lbfgs_trial(o, xt, x, o->t, err)) != OFS_OK) return st;
        if (!last && (st = ofs__lbfgs_eval(o, fn, ctx, xt, g, f, err)) != OFS_OK) return st;
        memcpy(x, xt, n * sizeof *x);
        known = last ? (double)NAN : *f;
    }
    *opt = ofs__amax(g, n) <= OFS__R(o->cfg.tolerance_grad);
    if (o->monitor) o->monitor(o, x, known, ctx);
    return OFS_OK;
}

/* After a move: which stopping rule fires first (OFS_LBFGS_NONE: go on). */
static ofs_lbfgs_stop ofs__lbfgs_stopped(const ofs_lbfgs *o, int k, double f, int opt)
{
    const ofs_real t = OFS__R(o->t);
    ofs_real step = 0;
    size_t i;
    if (k == o->cfg.max_iter) return OFS_LBFGS_MAX_ITER;
    if (o->step_evals >= ofs__lbfgs_max_eval(&o->cfg)) return OFS_LBFGS_MAX_EVAL;
    if (opt) return OFS_LBFGS_TOLERANCE_GRAD;
    for (i = 0; i < o->n; i++) { ofs_real v = o->d[i] * t; step = ofs__maxr(step, v < 0 ? -v : v); }
    if (step <= OFS__R(o->cfg.tolerance_change)) return OFS_LBFGS_TOLERANCE_CHANGE_X;
    if (fabs(f - o->prev_loss) < o->cfg.tolerance_change) return OFS_LBFGS_TOLERANCE_CHANGE_F;
    return OFS_LBFGS_NONE;
}

/* What must hold before a step touches anything. */
static ofs_status ofs__lbfgs_begin(const ofs_lbfgs *o, const ofs_real *x, ofs_closure fn, ofs_err *err)
{
    ofs_status st;
    if (o->n == 0 || !o->d) return ofs__fail(err, OFS_ERR_ARG, "lbfgs step: the optimizer was not initialised (n = 0)");
    if (!x) return ofs__fail(err, OFS_ERR_ARG, "lbfgs step: expected the parameters x (%lu values), found NULL", (unsigned long)o->n);
    if (!fn) return ofs__fail(err, OFS_ERR_ARG, "lbfgs step: expected a closure that returns f(x) and writes its gradient, found NULL");
    if ((st = ofs_lbfgs_validate(&o->cfg, err)) != OFS_OK) return st;
    if (o->cfg.history_size != o->m)
        return ofs__fail(err, OFS_ERR_ARG, "lbfgs step: expected history_size %d (the history's size at init), found %d",
                         o->m, o->cfg.history_size);
    if (o->n_iter > OFS_MAX_STEPS - o->cfg.max_iter || o->func_evals > OFS_MAX_STEPS - ((int64_t)OFS__WOLFE_MAX_LS + 1) * o->cfg.max_iter - 1)
        return ofs__fail(err, OFS_ERR_ARG, "lbfgs step: expected counters that this step keeps below 2^53, found n_iter %lld, "
                         "func_evals %lld", (long long)o->n_iter, (long long)o->func_evals);
    return OFS_OK;
}

OFSDEF ofs_status ofs_lbfgs_step(ofs_lbfgs *o, ofs_real *x, ofs_closure fn, void *ctx, double *loss, ofs_err *err)
{
    ofs_lbfgs_stop why = OFS_LBFGS_NONE;
    ofs_real *g;
    double f;
    ofs_status st;
    int k, opt = 0;
    OFS_ASSERT(o);
    if ((st = ofs__lbfgs_begin(o, x, fn, err)) != OFS_OK) return st;
    g = o->work;
    o->step_iters = o->step_evals = 0;
    o->stop = OFS_LBFGS_FAILED;                 /* until a rule below says otherwise */
    if ((st = ofs__lbfgs_eval(o, fn, ctx, x, g, &f, err)) != OFS_OK) return st;
    if (loss) *loss = f;
    if (ofs__amax(g, o->n) <= OFS__R(o->cfg.tolerance_grad)) { o->stop = OFS_LBFGS_TOLERANCE_GRAD; return ofs__ok(err); }
    for (k = 1; k <= o->cfg.max_iter; k++) {
        ofs_real gtd;
        o->n_iter++; o->step_iters++;
        ofs__lbfgs_direction(o, g);
        memcpy(o->prev_grad, g, o->n * sizeof *g);
        o->has_prev = 1;
        o->prev_loss = f;
        o->t = ofs__lbfgs_first_t(o, g);
        gtd = ofs__dot(g, o->d, o->n);              /* g.d: the slope along d */
        if (!ofs__finite((double)gtd)) {
            ofs_lbfgs_reset(o);
            o->stop = OFS_LBFGS_FAILED;
            return ofs__fail(err, OFS_ERR_NONFINITE, "lbfgs: expected a finite direction d, found g.d = %g (the history "
                             "overflowed); the state was reset and x is unchanged", (double)gtd);
        }
        if (gtd > OFS__R(-o->cfg.tolerance_change)) { why = OFS_LBFGS_NOT_DESCENT; break; }
        if ((st = ofs__lbfgs_move(o, x, fn, ctx, gtd, k == o->cfg.max_iter, &f, &opt, err)) != OFS_OK) return st;
        if ((why = ofs__lbfgs_stopped(o, k, f, opt)) != OFS_LBFGS_NONE) break;
    }
    o->stop = why;
    return ofs__ok(err);
}

/* ---- Saving and loading -----------------------------------------------------------
   n, history_size, the settings, the counters, t, prev_loss, H_diag, the number of
   pairs, then the arrays: rho_i, d, prev_grad and the pairs (y_i, s_i), oldest first,
   each value as a double (exact for float). A resumed run continues bit for bit. */
OFSDEF void ofs_lbfgs_save(const ofs_lbfgs *o, ofs_buf *b)
{
    int i;
    OFS_ASSERT(o && b && o->d);
    ofs_put_u64(b, (uint64_t)o->n); ofs_put_u64(b, (uint64_t)o->m);
    ofs_put_f64(b, o->cfg.lr); ofs_put_u64(b, (uint64_t)o->cfg.max_iter); ofs_put_u64(b, (uint64_t)o->cfg.max_eval);
    ofs_put_f64(b, o->cfg.tolerance_grad); ofs_put_f64(b, o->cfg.tolerance_change); ofs_put_u64(b, (uint64_t)o->cfg.line_search);
    ofs_put_u64(b, (uint64_t)o->n_iter); ofs_put_u64(b, (uint64_t)o->func_evals);
    ofs_put_u64(b, (uint64_t)o->step_iters); ofs_put_u64(b, (uint64_t)o->step_evals); ofs_put_u64(b, (uint64_t)o->stop);
    ofs_put_f64(b, o->t); ofs_put_f64(b, o->prev_loss); ofs_put_f64(b, (double)o->H_diag);
    ofs_put_u64(b, (uint64_t)o->hist_len); ofs_put_u64(b, (uint64_t)o->has_prev);
    for (i = 0; i < o->hist_len; i++) ofs_put_f64(b, (double)o->ro[(o->hist_head + i) % o->m]);
    ofs_put_reals(b, o->d, o->n);
    ofs_put_reals(b, o->prev_grad, o->n);
    for (i = 0; i < o->hist_len; i++) {
        ofs_put_reals(b, ofs__lbfgs_row(o, o->old_dirs, i), o->n);
        ofs_put_reals(b, ofs__lbfgs_row(o, o->old_stps, i), o->n);
    }
}

/* The scalars of a saved state, read into s and checked against o's shape. */
static ofs_status ofs__lbfgs_load_head(const ofs_lbfgs *o, ofs_reader *r, ofs_lbfgs *s, ofs_err *err)
{
    const uint64_t n = ofs_get_u64(r), m = ofs_get_u64(r), big = (uint64_t)OFS_MAX_STEPS;
    uint64_t u[10];
    int k;
    s->cfg.lr = ofs_get_f64(r); u[0] = ofs_get_u64(r); u[1] = ofs_get_u64(r);
    s->cfg.tolerance_grad = ofs_get_f64(r); s->cfg.tolerance_change = ofs_get_f64(r); u[2] = ofs_get_u64(r);
    for (k = 3; k < 8; k++) u[k] = ofs_get_u64(r);                /* n_iter, func_evals, step_iters, step_evals, stop */
    s->t = ofs_get_f64(r); s->prev_loss = ofs_get_f64(r); s->H_diag = (ofs_real)ofs_get_f64(r);
    u[8] = ofs_get_u64(r);                                         /* hist_len */
    u[9] = ofs_get_u64(r);                                         /* has_prev */
    if (r->failed) return ofs__fail(err, OFS_ERR_FORMAT, "lbfgs state: truncated header");
    if (n != (uint64_t)o->n || m != (uint64_t)o->m)
        return ofs__fail(err, OFS_ERR_MISMATCH, "lbfgs state: expected n = %lu and history_size %d, found n = %llu and "
                         "history_size %llu", (unsigned long)o->n, o->m, (unsigned long long)n, (unsigned long long)m);
    if (u[0] > 0x7fffffff || u[1] > 0x7fffffff || u[2] >= OFS_LS_COUNT)
        return ofs__fail(err, OFS_ERR_FORMAT, "lbfgs state: expected max_iter and max_eval below 2^31 and a line search "
                         "below %d, found %llu, %llu and %llu", OFS_LS_COUNT, (unsigned long long)u[0],
                         (unsigned long long)u[1], (unsigned long long)u[2]);
    s->cfg.max_iter = (int)u[0]; s->cfg.max_eval = (int)u[1]; s->cfg.line_search = (ofs_line_search)u[2];
    s->cfg.history_size = o->m;
    if (ofs_lbfgs_validate(&s->cfg, err) != OFS_OK) return ofs__wrap(err, OFS_ERR_FORMAT, "lbfgs state: settings");
    if (u[3] > big || u[4] > big || u[5] > u[3] || u[6] > u[4] || u[7] >= OFS_LBFGS_STOP_COUNT)
        return ofs__fail(err, OFS_ERR_FORMAT, "lbfgs state: expected counters n_iter %llu and func_evals %llu up to 2^53, "
                         "the last step's %llu and %llu within them, and a stop reason below %d (found %llu)",
                         (unsigned long long)u[3], (unsigned long long)u[4], (unsigned long long)u[5],
                         (unsigned long long)u[6], OFS_LBFGS_STOP_COUNT, (unsigned long long)u[7]);
    s->n_iter = (int64_t)u[3]; s->func_evals = (int64_t)u[4]; s->step_iters = (int64_t)u[5]; s->step_evals = (int64_t)u[6];
    s->stop = (ofs_lbfgs_stop)u[7];
    if (!ofs__finite(s->t) || !ofs__finite(s->prev_loss) || !(s->H_diag > 0) || !ofs__finite((double)s->H_diag))
        return ofs__fail(err, OFS_ERR_FORMAT, "lbfgs state: expected finite t and prev_loss and a finite H_diag > 0, found "
                         "%g, %g and %g", s->t, s->prev_loss, (double)s->H_diag);
    if (u[8] > (uint64_t)o->m || u[9] != (uint64_t)(s->n_iter > 0))
        return ofs__fail(err, OFS_ERR_FORMAT, "lbfgs state: expected at most %d pairs, and a last iteration exactly when "
                         "n_iter > 0; found %llu pairs, n_iter %lld", o->m, (unsigned long long)u[8], (long long)s->n_iter);
    s->hist_len = (int)u[8]; s->has_prev = (int)u[9];
    return OFS_OK;
}

/* The first of `count` stored doubles (from a copy of r: nothing is consumed) that
   is not finite in ofs_real, or not > 0 for the first `positive` of them; -1 if none,
   -2 if the data end first. */
static long ofs__lbfgs_bad_real(ofs_reader r, size_t count, size_t positive, double *v)
{
    size_t i;
    if (r.failed || (r.len - r.pos) / 8 < count) return -2;
    for (i = 0; i < count; i++) {
        *v = ofs_get_f64(&r);
        if (!(fabs(*v) <= OFS__REAL_MAX) || (i < positive && !(*v > 0))) return (long)i;
    }
    return -1;
}

OFSDEF ofs_status ofs_lbfgs_load(ofs_lbfgs *o, ofs_reader *r, ofs_err *err)
{
    ofs_lbfgs s;
    size_t k, count;
    long bad;
    double v = 0;
    ofs_status st;
    int i;
    OFS_ASSERT(o && r && o->d);
    if ((st = ofs__lbfgs_load_head(o, r, &s, err)) != OFS_OK) return st;
    k = (size_t)s.hist_len;
    count = k + (2 + 2 * k) * o->n;
    if ((bad = ofs__lbfgs_bad_real(*r, count, k, &v)) == -2) return ofs__fail(err, OFS_ERR_FORMAT, "lbfgs state: truncated arrays");
    if (bad >= 0)
        return ofs__fail(err, OFS_ERR_FORMAT, "lbfgs state: expected %s, found %g at %s %lu", (size_t)bad < k ? "rho > 0" :
                         "finite numbers", v, (size_t)bad < k ? "pair" : "array value", (unsigned long)((size_t)bad < k ? (size_t)bad : (size_t)bad - k));
    o->cfg.lr = s.cfg.lr; o->cfg.max_iter = s.cfg.max_iter; o->cfg.max_eval = s.cfg.max_eval;
    o->cfg.tolerance_grad = s.cfg.tolerance_grad; o->cfg.tolerance_change = s.cfg.tolerance_change;
    o->cfg.line_search = s.cfg.line_search;
    o->n_iter = s.n_iter; o->func_evals = s.func_evals; o->step_iters = s.step_iters; o->step_evals = s.step_evals;
    o->stop = s.stop; o->t = s.t; o->prev_loss = s.prev_loss; o->H_diag = s.H_diag;
    o->hist_len = s.hist_len; o->hist_head = 0; o->has_prev = s.has_prev;
    for (i = 0; i < o->hist_len; i++) o->ro[i] = (ofs_real)ofs_get_f64(r);
    ofs_get_reals(r, o->d, o->n);
    ofs_get_reals(r, o->prev_grad, o->n);
    for (i = 0; i < o->hist_len; i++) {
        ofs_get_reals(r, ofs__lbfgs_row(o, o->old_dirs, i), o->n);
        ofs_get_reals(r, ofs__lbfgs_row(o, o->old_stps, i), o->n);
    }
    return ofs__ok(err);
}

#if defined(__wasm__)
#elif defined(__clang__) && __clang_major__ >= 11
#pragma float_control(pop)
#elif defined(__GNUC__)
#pragma GCC pop_options
#endif

/* ==== Chapter 5: Stochastic gradient descent ====================================== */
/* SGD replaces grad f by an unbiased estimate: the gradient on one random example,
   or in the toy chapter the exact gradient plus N(0, 1) noise from ofs_rng_normal.
   The update itself is chapter 3's; what changes is that a constant rate leaves the
   iterate jittering in a ball around the minimum, so the rate must decay (chapter 12
   has the schedules).                                                            */

/* Averaging is the other cure: keep the noisy iterates, and report their mean. The
   mean of the points of a ball is near its centre, so the average of the last
   iterates lands much closer to the minimum than any one of them (Polyak and
   Juditsky, 1992). Two tools do it here:
   - ASGD, torch.optim.ASGD: SGD with a slowly decaying rate (Bottou's form) and a
     running average ax of the iterates from step t0 on. As PyTorch computes it
     (eta_1 = lr; mu_t = 1 / max(1, t - 1 - t0), so mu = 1, a copy, up to t0 + 2):
         g <- g + lambda_wd theta                     (weight_decay)
         theta <- theta (1 - lambd eta_t) - eta_t g
         ax <- ax + mu_t (theta - ax)                 (ax <- theta while mu_t = 1)
         eta_{t+1} = lr / (1 + lambd lr t)^alpha      (lr: the current one)
     Like PyTorch, eta is kept between steps (rounded to ofs_real: torch keeps it in
     a tensor), so a schedule's lr reaches the update one step late. torch's default
     t0 = 1e6 means ax is a copy of theta for the first million steps.
   - ofs_average (below): SWA's equal-weight average or an EMA of any parameter array,
     as torch.optim.swa_utils.AveragedModel.                                       */

static void ofs__asgd_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs__pre q = ofs__prelude(c, 0);
    const double t = (double)o->t, eta = o->t == 1 ? (double)OFS__R(c->lr) : o->eta;
    const double mu = 1 / ofs__max(1, t - 1 - c->t0);
    const ofs_real decay = OFS__R(1 - c->lambd * eta), step = OFS__R(eta), m = OFS__R(mu);
    const int copy = mu == 1;
    ofs_real *OFS__RESTRICT ax = o->s[0];
    for (i = 0; i < n; i++) {
        ofs_real g = q.sign * gr[i] + q.l2 * p[i], th = p[i] * decay - step * g;
        p[i] = th;
        ax[i] = copy ? th : ax[i] + (th - ax[i]) * m;
    }
    o->eta = (double)OFS__R(c->lr / pow(1 + c->lambd * c->lr * t, c->alpha));
}

/* Weight averaging (Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima
   and Better Generalization"): SGD's last iterates bounce around a wide basin; their
   mean sits in its middle. torch.optim.swa_utils.AveragedModel, update by update
   (count = the updates before this one):
       count = 0:   avg <- p                                  (a copy)
       SWA:         avg <- avg + (p - avg) / (count + 1)      (the mean of all updates)
       EMA:         avg <- avg + (1 - decay) (p - avg)        (torch.lerp(avg, p, 1 - decay),
                                                               which fuses the multiply-add)
   SWA averages whatever the caller gives it, typically the weights at the end of
   each epoch after a start epoch, with a constant or cyclic rate (SWALR, chapter
   12); an EMA is usually updated after every step. ofs__average_slice updates
   elements [i0, i0 + n) as the update number `count`: Appendix B's threads each
   average their own slice of a step. */
static void ofs__average_slice(const ofs_average *a, const ofs_real *OFS__RESTRICT p, size_t i0, size_t n, int64_t count)
{
    ofs_real *OFS__RESTRICT v = a->avg + i0;
    const ofs_real w = OFS__R(1 - a->decay), div = OFS__R(count + 1);   /* EMA weight; SWA divisor */
    const int copy = count == 0, ema = a->decay > 0;
    size_t i;
    for (i = 0; i < n; i++) v[i] = copy ? p[i] : ema ? v[i] + w * (p[i] - v[i]) : v[i] + (p[i] - v[i]) / div;
}

OFSDEF ofs_status ofs_average_init(ofs_average *a, size_t n, double decay, ofs_err *err)
{
    OFS_ASSERT(a);
    memset(a, 0, sizeof *a);
    if (!(decay >= 0 && decay < 1) || n == 0)
        return ofs__fail(err, OFS_ERR_ARG, "average: expected decay in [0, 1) (0: SWA, else EMA) and n >= 1, found decay %g and n %lu",
                         decay, (unsigned long)n);
    if (!(a->avg = (ofs_real *)ofs__alloc(n, sizeof(ofs_real))))
        return ofs__fail(err, OFS_ERR_NOMEM, "average: cannot allocate %lu values", (unsigned long)n);
    a->n = n; a->decay = decay;
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_average_update(ofs_average *a, const ofs_real *params, ofs_err *err)
{
    OFS_ASSERT(a);
    if (!a->avg || !params) return ofs__fail(err, OFS_ERR_ARG, "average update: expected an initialised average and parameters, found NULL");
    if (a->count < 0 || a->count >= OFS_MAX_STEPS)
        return ofs__fail(err, OFS_ERR_ARG, "average update: expected a count in [0, 2^53), found %lld", (long long)a->count);
    ofs__average_slice(a, params, 0, a->n, a->count++);
    return ofs__ok(err);
}

OFSDEF void ofs_average_free(ofs_average *a) { ofs__free(a->avg); memset(a, 0, sizeof *a); }

#define OFS__AVERAGE_TAG 0x31475641u   /* "AVG1" */
OFSDEF void ofs_average_save(const ofs_average *a, ofs_buf *b)
{
    ofs_put_u64(b, OFS__AVERAGE_TAG); ofs_put_u64(b, (uint64_t)a->n); ofs_put_f64(b, a->decay); ofs_put_u64(b, (uint64_t)a->count);
    ofs_put_reals(b, a->avg, a->n);
}

static int ofs__reals_check(ofs_reader r, size_t n, int nonneg, size_t *bad, double *value);
/* Read n stored values into dst if every one is finite in ofs_real; else refuse
   (OFS_ERR_FORMAT, naming `what` and the first bad element) and leave dst as it was. */
static ofs_status ofs__load_finite(ofs_reader *r, ofs_real *dst, size_t n, const char *what, ofs_err *err)
{
    size_t bad = 0;
    double v = 0;
    const int res = ofs__reals_check(*r, n, 0, &bad, &v);
    if (res < 0) return ofs__fail(err, OFS_ERR_FORMAT, "%s: truncated (expected %lu values)", what, (unsigned long)n);
    if (res > 0)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected finite values, found %g at element %lu", what, v, (unsigned long)bad);
    ofs_get_reals(r, dst, n);
    return OFS_OK;
}

OFSDEF ofs_status ofs_average_load(ofs_average *a, ofs_reader *r, ofs_err *err)
{
    uint64_t tag = ofs_get_u64(r), n = ofs_get_u64(r), count;
    double decay = ofs_get_f64(r);
    ofs_status st;
    count = ofs_get_u64(r);
    if (r->failed || tag != OFS__AVERAGE_TAG)
        return ofs__fail(err, OFS_ERR_FORMAT, "weight average: expected the tag %08lx and its header, found %s", (unsigned long)OFS__AVERAGE_TAG,
                         r->failed ? "a truncated state" : "another tag");
    if (n != (uint64_t)a->n || !(decay == a->decay))
        return ofs__fail(err, OFS_ERR_MISMATCH, "weight average: expected %lu values with decay %g, found %llu with decay %g",
                         (unsigned long)a->n, a->decay, (unsigned long long)n, decay);
    if (count > (uint64_t)OFS_MAX_STEPS)
        return ofs__fail(err, OFS_ERR_FORMAT, "weight average: expected a count in [0, 2^53], found %lld", (long long)count);
    if ((st = ofs__load_finite(r, a->avg, a->n, "weight average", err)) != OFS_OK) return st;
    a->count = (int64_t)count;
    return ofs__ok(err);
}

/* ==== Chapter 6: Minibatch SGD ===================================================== */
/* A minibatch averages the gradient over b examples: the variance drops by b, and
   the b products become one matrix product, which is what makes them fast (chapter
   15). An epoch visits the examples in a fresh random order: ofs_rng_shuffle.      */

OFS__VECTORIZE_BEGIN   /* from here to the end: see chapter 0 */
/* ==== Chapter 7: Momentum and Nesterov (SGD) ====================================== */
/* PyTorch's SGD (lr outside the buffer; first step copies g, with no dampening):
       g <- g + lambda theta                       (if weight_decay)
       b <- g                                      (t = 1)
       b <- mu b + (1 - tau) g                     (t > 1)
       d <- nesterov ? g + mu b : b                (d = g when mu = 0)
       theta <- theta - lr d
   D2L 12.6's v <- mu v + g, theta <- theta - lr v is PyTorch's form. The
   exponential-average form (Ng's course), with ema_momentum:
       v <- mu v + (1 - mu) g,   theta <- theta - lr v         (v0 = 0)
   equals PyTorch's with lr' = (1 - mu) lr. Sutskever's v <- mu v + lr g, theta -= v
   equals PyTorch's only while lr is constant: it keeps old step sizes in v.        */

static void ofs__sgd_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs__pre q = ofs__prelude(c, 0);
    const ofs_real lr = OFS__R(c->lr), mu = OFS__R(c->momentum), damp = OFS__R(1 - c->dampening), omm = OFS__R(1 - c->momentum);
    const int first = o->t == 1, ema = c->ema_momentum, nesterov = c->nesterov, plain = c->momentum == 0 && !ema;
    ofs_real *OFS__RESTRICT b = o->s[0];
    for (i = 0; i < n; i++) {
        ofs_real g = q.sign * gr[i] + q.l2 * p[i], d = g;
        if (ema) d = b[i] = mu * b[i] + omm * g;
        else if (!plain) {
            d = b[i] = first ? g : b[i] * mu + damp * g;
            if (nesterov) d = g + mu * d;
        }
        p[i] = p[i] - lr * d;
    }
}

/* ==== Chapter 8: Adagrad ========================================================== */
/* Adagrad (Duchi et al., 2011) divides each coordinate's step by the root of the sum
   of its squared gradients, so steep coordinates slow down for good:
       clr <- lr / (1 + (t - 1) lr_decay)
       s   <- s + g^2                               (s0 = initial_accumulator_value)
       theta <- theta - clr * g / (sqrt(s) + eps)   PyTorch, eps = 1e-10
       theta <- theta - clr * g / sqrt(s + eps)     with eps_inside_sqrt (D2L 12.7)   */

static void ofs__adagrad_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs__pre q = ofs__prelude(c, 0);
    const ofs_real clr = OFS__R(c->lr / (1 + (double)(o->t - 1) * c->lr_decay)), eps = OFS__R(c->eps);
    const int inside = c->eps_inside_sqrt;
    ofs_real *OFS__RESTRICT s = o->s[0];
    for (i = 0; i < n; i++) {
        ofs_real g = q.sign * gr[i] + q.l2 * p[i], si = s[i] + g * g;
        ofs_real d = inside ? OFS__SQRT(si + eps) : OFS__SQRT(si) + eps;
        s[i] = si;
        p[i] = p[i] - clr * (g / d);
    }
}

/* ==== Chapter 9: RMSProp and Adadelta ============================================== */
/* RMSProp (Tieleman and Hinton, 2012) replaces Adagrad's sum by a leaky average:
       v <- alpha v + (1 - alpha) g^2
       gbar <- alpha gbar + (1 - alpha) g           (centered only)
       D <- sqrt(v - gbar^2) + eps                  (centered; else sqrt(v) + eps)
       D <- sqrt(v - gbar^2 + eps)                  (eps_inside_sqrt, as D2L/Keras)
       b <- mu b + g / D,  theta <- theta - lr b    (momentum > 0; b0 = 0)
       theta <- theta - lr g / D                    (otherwise)
   PyTorch's alpha defaults to 0.99 (D2L, Keras: 0.9); there is no bias correction. */
/* The centered variance v - gbar^2 is never negative in exact arithmetic, but rounding
   makes it so when it is tiny beside g^2 (a small alpha, a steady g), and its root is
   then NaN, as in PyTorch; here it is clamped at 0.                                 */

static void ofs__rmsprop_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs__pre q = ofs__prelude(c, 0);
    const ofs_real a = OFS__R(c->alpha), oma = OFS__R(1 - c->alpha), mu = OFS__R(c->momentum);
    const ofs_real lr = OFS__R(c->lr), eps = OFS__R(c->eps);
    const int centered = c->centered, inside = c->eps_inside_sqrt, momentum = c->momentum > 0;
    ofs_real *OFS__RESTRICT v = o->s[0], *OFS__RESTRICT b = o->s[1], *OFS__RESTRICT gb = o->s[2];
    for (i = 0; i < n; i++) {
        ofs_real g = q.sign * gr[i] + q.l2 * p[i], vi = v[i] * a + oma * g * g, d;
        v[i] = vi;
        if (centered) {
            ofs_real m = gb[i] = gb[i] * a + oma * g;
            vi = vi - m * m;
            vi = vi < 0 ? 0 : vi;
        }
        d = inside ? OFS__SQRT(vi + eps) : OFS__SQRT(vi) + eps;
        if (momentum) p[i] = p[i] - lr * (b[i] = b[i] * mu + g / d);
        else p[i] = p[i] - lr * (g / d);
    }
}

/* Adadelta (Zeiler, 2012) keeps a second leaky average, of the squared updates, and
   uses its root in place of a learning rate; PyTorch still multiplies by lr (1.0):
       v <- rho v + (1 - rho) g^2
       delta <- sqrt(u + eps) / sqrt(v + eps) * g
       u <- rho u + (1 - rho) delta^2
       theta <- theta - lr delta                                                   */

static void ofs__adadelta_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs__pre q = ofs__prelude(c, 0);
    const ofs_real r = OFS__R(c->rho), omr = OFS__R(1 - c->rho), eps = OFS__R(c->eps), lr = OFS__R(c->lr);
    ofs_real *OFS__RESTRICT v = o->s[0], *OFS__RESTRICT u = o->s[1];
    for (i = 0; i < n; i++) {
        ofs_real g = q.sign * gr[i] + q.l2 * p[i], vi = v[i] = v[i] * r + omr * g * g;
        ofs_real delta = OFS__SQRT(u[i] + eps) / OFS__SQRT(vi + eps) * g;
        u[i] = u[i] * r + omr * delta * delta;
        p[i] = p[i] - lr * delta;
    }
}

/* ==== Chapter 10: Adam and its family ============================================== */
/* Adam; AMSGrad (its flag); Adamax; Yogi and AdaBelief (optax); ADOPT (its authors' code). */
/* Adam (Kingma and Ba, 2015) is RMSProp on a momentum average, with both averages
   corrected for starting at zero. As PyTorch computes it (eps after the correction):
       theta <- theta (1 - lr lambda)               (decoupled: AdamW, chapter 11)
       m <- beta1 m + (1 - beta1) g
       v <- beta2 v + (1 - beta2) g^2
       vmax <- max(vmax, v),  V <- vmax             (amsgrad: max of the RAW v)
       D <- sqrt(V) / sqrt(1 - beta2^t) + eps       (V = v without amsgrad)
       theta <- theta - (lr / (1 - beta1^t)) m / D
   Keras and TF1 put eps before the correction (the "eps hat" form); it is not the
   same for a fixed eps. optax's AMSGrad takes the max of the corrected v instead.  */

static void ofs__adam_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs__pre q = ofs__prelude(c, c->kind == OFS_ADAMW || c->decoupled_weight_decay);
    const double t = (double)o->t;
    const ofs_real b1 = OFS__R(c->beta1), b2 = OFS__R(c->beta2), omb1 = OFS__R(1 - c->beta1), omb2 = OFS__R(1 - c->beta2);
    const ofs_real step = OFS__R(c->lr / (1 - pow(c->beta1, t))), bc2_sqrt = OFS__R(sqrt(1 - pow(c->beta2, t)));
    const ofs_real eps = OFS__R(c->eps);
    const int amsgrad = c->amsgrad;
    ofs_real *OFS__RESTRICT m = o->s[0], *OFS__RESTRICT v = o->s[1], *OFS__RESTRICT vmax = o->s[2];
    ofs_real r[OFS__ROOTS];   /* sqrt(V) of one block (chapter 0: the roots of a block) */
    size_t i0, nb;
    for (i0 = 0; i0 < n; i0 += nb) {
        nb = n - i0 < OFS__ROOTS ? n - i0 : OFS__ROOTS;
        for (i = 0; i < nb; i++) {
            ofs_real g = q.sign * gr[i0 + i] + q.l2 * p[i0 + i], V;
            m[i0 + i] = m[i0 + i] * b1 + omb1 * g;
            V = v[i0 + i] = v[i0 + i] * b2 + omb2 * g * g;
            if (amsgrad) V = vmax[i0 + i] = ofs__maxr(vmax[i0 + i], V);
            r[i] = V;
        }
        ofs__sqrt_n(r, nb);
        for (i = 0; i < nb; i++) p[i0 + i] = p[i0 + i] * q.decay - step * (m[i0 + i] / (r[i] / bc2_sqrt + eps));
    }
}

/* Adamax (same paper) replaces the root mean square by an infinity norm. PyTorch
   puts eps inside the max, so u >= eps and needs no correction:
       m <- beta1 m + (1 - beta1) g
       u <- max(beta2 u, |g| + eps)
       theta <- theta - (lr / (1 - beta1^t)) m / u                                    */

static void ofs__adamax_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs__pre q = ofs__prelude(c, 0);
    const ofs_real b1 = OFS__R(c->beta1), b2 = OFS__R(c->beta2), omb1 = OFS__R(1 - c->beta1);
    const ofs_real clr = OFS__R(c->lr / (1 - pow(c->beta1, (double)o->t))), eps = OFS__R(c->eps);
    ofs_real *OFS__RESTRICT m = o->s[0], *OFS__RESTRICT u = o->s[1];
    for (i = 0; i < n; i++) {
        ofs_real g = q.sign * gr[i] + q.l2 * p[i];
        ofs_real mi = m[i] = m[i] * b1 + omb1 * g;
        ofs_real ui = u[i] = ofs__maxr(u[i] * b2, (g < 0 ? -g : g) + eps);
        p[i] = p[i] - clr * (mi / ui);
    }
}

/* Yogi (Zaheer et al., 2018), as optax defines it: v moves towards g^2 by a fixed
   fraction of g^2, with the sign of the gap, so it cannot grow as fast as Adam's:
       m <- beta1 m + (1 - beta1) g                 (m0 = v0 = 1e-6)
       v <- v - (1 - beta2) sign(v - g^2) g^2       (sign(0) = 0)
       theta <- theta - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t) + eps_root) + eps)
   AdaBelief (Zhuang et al., 2020), optax's form: s tracks the variance of g around m,
       m <- beta1 m + (1 - beta1) g
       s <- beta2 s + (1 - beta2) (g - m)^2 + eps_root     (with the NEW m)
       theta <- theta - lr (m / (1 - beta1^t)) / (sqrt(s / (1 - beta2^t)) + eps)       */

static void ofs__yogi_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs__pre q = ofs__prelude(c, 0);
    const double t = (double)o->t;
    const ofs_real b1 = OFS__R(c->beta1), b2 = OFS__R(c->beta2), omb1 = OFS__R(1 - c->beta1), omb2 = OFS__R(1 - c->beta2);
    const ofs_real bc1 = OFS__R(1 - pow(c->beta1, t)), bc2 = OFS__R(1 - pow(c->beta2, t));
    const ofs_real lr = OFS__R(c->lr), eps = OFS__R(c->eps), eps_root = OFS__R(c->eps_root);
    const int belief = c->kind == OFS_ADABELIEF;
    ofs_real *OFS__RESTRICT m = o->s[0], *OFS__RESTRICT v = o->s[1];
    for (i = 0; i < n; i++) {
        ofs_real g = q.sign * gr[i] + q.l2 * p[i], g2 = g * g, mi = omb1 * g + b1 * m[i], vi = v[i], d;
        if (belief) {
            vi = omb2 * (g - mi) * (g - mi) + b2 * vi + eps_root;
            d = OFS__SQRT(vi / bc2) + eps;
        } else {
            vi = vi - omb2 * ofs__sign(vi - g2) * g2;
            d = OFS__SQRT(vi / bc2 + eps_root) + eps;
        }
        m[i] = mi; v[i] = vi;
        p[i] = p[i] - lr * ((mi / bc1) / d);
    }
}

/* ADOPT (Taniguchi et al., 2024, arXiv 2411.02853, "ADOPT: Modified Adam Can
   Converge with Any beta2 with the Optimal Rate"). Adam divides g_t by a v_t that
   already contains g_t^2, so a large gradient shrinks its own step: that coupling is
   what lets Adam fail to converge for some beta2 (Reddi et al.'s counterexample).
   ADOPT normalises g_t by the v of the PREVIOUS steps, then averages the normalised
   gradient (momentum after the normalisation, not before), and clips it while v is
   young. As the authors' code computes it (src/adopt/adopt.py of iShohei220/adopt,
   commit 6468572b4b3688a2f056b796b071da540568520e, _single_tensor_adopt, lines
   273-321), with t = 1, 2, ... the step being taken:
       g <- g + lambda theta                        (coupled decay, the default; at t = 1 too)
       t = 1:  v <- g^2                             (no move: theta and m stay)
       t > 1:  theta <- theta (1 - lr lambda)       (decoupled_weight_decay instead)
               u <- g / max(sqrt(v), eps)           (v: g_1 .. g_{t-1} only)
               u <- clip(u, -c, c),  c = (t - 1)^(1/4)   (the file's clip_lambda(step),
                                                     step = t - 1 steps taken before)
               m <- m + (1 - beta1) (u - m)         (torch's lerp: beta1 m + (1 - beta1) u)
               theta <- theta - lr m                (no bias correction)
               v <- beta2 v + (1 - beta2) g^2       (after the update)
   eps is outside the root, as a floor on it: max(sqrt(v), eps), not sqrt(v) + eps.
   The defaults are the file's: lr 1e-3, betas (0.9, 0.9999), eps 1e-6, no decay.   */

static void ofs__adopt_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const int first = o->t == 1;
    const ofs__pre q = ofs__prelude(c, c->decoupled_weight_decay);
    const ofs_real b2 = OFS__R(c->beta2), omb1 = OFS__R(1 - c->beta1), omb2 = OFS__R(1 - c->beta2);
    const ofs_real lr = OFS__R(c->lr), eps = OFS__R(c->eps), clip = OFS__R(pow((double)(o->t - 1), 0.25));
    ofs_real *OFS__RESTRICT m = o->s[0], *OFS__RESTRICT v = o->s[1];
    for (i = 0; i < n; i++) {
        const ofs_real g = q.sign * gr[i] + q.l2 * p[i];
        ofs_real u;
        if (first) { v[i] = g * g; continue; }
        u = g / ofs__maxr(OFS__SQRT(v[i]), eps);
        u = u > clip ? clip : u < -clip ? -clip : u;        /* a NaN stays NaN */
        m[i] = m[i] + omb1 * (u - m[i]);
        p[i] = p[i] * q.decay - lr * m[i];
        v[i] = v[i] * b2 + omb2 * g * g;
    }
}

/* ==== Chapter 11: AdamW, NAdam, RAdam, Lion, Rprop, LAMB ============================ */
/* AdamW (Loshchilov and Hutter, 2019) is ofs__adam_step with decoupled decay:
       theta <- theta (1 - lr lambda)   then Adam's update with the plain g.
   L2 decay (Adam's weight_decay) adds lambda theta to g, and that term is then
   divided by sqrt(v): parameters with large gradients are barely decayed. AdamW
   shrinks every weight by the same factor. The paper multiplies lambda by the
   schedule multiplier only; PyTorch (and this header) by the current lr.

   NAdam (Dozat, 2016) is Adam with a Nesterov look-ahead and a warming momentum
   schedule mu_t; PyTorch 2.0's corrected formula (1.13's default path counted
   mu_t twice in the last denominator):
       mu_t  <- beta1 (1 - 0.5 * 0.96^(t psi)),   mu_t1 <- beta1 (1 - 0.5 * 0.96^((t+1) psi))
       P <- P mu_t                                  (P0 = 1: a running product)
       m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g^2
       D <- sqrt(v) / sqrt(1 - beta2^t) + eps
       theta <- theta - (lr (1 - mu_t) / (1 - P)) g / D
       theta <- theta - (lr mu_t1 / (1 - P mu_t1)) m / D                            */

static void ofs__nadam_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs__pre q = ofs__prelude(c, c->decoupled_weight_decay);
    const double t = (double)o->t, psi = c->momentum_decay;
    const double mu = c->beta1 * (1 - 0.5 * pow(0.96, t * psi)), mu1 = c->beta1 * (1 - 0.5 * pow(0.96, (t + 1) * psi));
    const double P = o->mu_product *= mu;
    const ofs_real sg = OFS__R(c->lr * (1 - mu) / (1 - P)), sm = OFS__R(c->lr * mu1 / (1 - P * mu1));
    const ofs_real b1 = OFS__R(c->beta1), b2 = OFS__R(c->beta2), omb1 = OFS__R(1 - c->beta1), omb2 = OFS__R(1 - c->beta2);
    const ofs_real bc2_sqrt = OFS__R(sqrt(1 - pow(c->beta2, t))), eps = OFS__R(c->eps);
    ofs_real *OFS__RESTRICT m = o->s[0], *OFS__RESTRICT v = o->s[1];
    for (i = 0; i < n; i++) {
        ofs_real g = q.sign * gr[i] + q.l2 * p[i];
        ofs_real mi = m[i] = m[i] * b1 + omb1 * g, vi = v[i] = v[i] * b2 + omb2 * g * g;
        ofs_real d = OFS__SQRT(vi) / bc2_sqrt + eps, th = p[i] * q.decay;
        th = th - sg * (g / d);
        p[i] = th - sm * (mi / d);
    }
}

/* RAdam (Liu et al., 2020) skips the adaptive denominator while its variance is
   undefined (the first steps), then rectifies it:
       m, v as Adam;  rho_inf = 2 / (1 - beta2) - 1
       rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
       rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                   theta <- theta - (m / (1 - beta1^t)) lr (sqrt(1 - beta2^t) / (sqrt(v) + eps)) r
       otherwise:  theta <- theta - (m / (1 - beta1^t)) lr
   Note eps is added to sqrt(v) before the bias correction, unlike Adam.           */

static void ofs__radam_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs__pre q = ofs__prelude(c, c->decoupled_weight_decay);
    const double t = (double)o->t, bc2 = 1 - pow(c->beta2, t);
    const double rho_inf = 2 / (1 - c->beta2) - 1, rho = rho_inf - 2 * t * pow(c->beta2, t) / bc2;
    const int rect = rho > 5;
    const ofs_real r = OFS__R(rect ? sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) : 0);
    const ofs_real b1 = OFS__R(c->beta1), b2 = OFS__R(c->beta2), omb1 = OFS__R(1 - c->beta1), omb2 = OFS__R(1 - c->beta2);
    const ofs_real bc1 = OFS__R(1 - pow(c->beta1, t)), bc2_sqrt = OFS__R(sqrt(bc2)), lr = OFS__R(c->lr), eps = OFS__R(c->eps);
    ofs_real *OFS__RESTRICT m = o->s[0], *OFS__RESTRICT v = o->s[1];
    for (i = 0; i < n; i++) {
        ofs_real g = q.sign * gr[i] + q.l2 * p[i];
        ofs_real mi = m[i] = m[i] * b1 + omb1 * g, vi = v[i] = v[i] * b2 + omb2 * g * g;
        ofs_real step = mi / bc1 * lr;
        if (rect) step = step * (bc2_sqrt / (OFS__SQRT(vi) + eps)) * r;
        p[i] = p[i] * q.decay - step;
    }
}

/* Lion (Chen et al., 2023), as optax defines it: only the sign of an interpolated
   momentum is used, so every coordinate moves by exactly lr (plus decay):
       u <- sign((1 - beta1) g + beta1 m)           (the OLD m)
       theta <- theta - lr (u + lambda theta)
       m <- (1 - beta2) g + beta2 m                                                   */

static void ofs__lion_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs_real sign = OFS__R(c->maximize ? -1 : 1), lr = OFS__R(c->lr), wd = OFS__R(c->weight_decay);
    const ofs_real b1 = OFS__R(c->beta1), b2 = OFS__R(c->beta2), omb1 = OFS__R(1 - c->beta1), omb2 = OFS__R(1 - c->beta2);
    ofs_real *OFS__RESTRICT m = o->s[0];
    for (i = 0; i < n; i++) {
        ofs_real g = sign * gr[i], u = ofs__sign(omb1 * g + b1 * m[i]) + wd * p[i];
        p[i] = p[i] - lr * u;
        m[i] = omb2 * g + b2 * m[i];
    }
}

/* Rprop (Riedmiller and Braun, 1993), torch.optim.Rprop: Lion's idea ten years
   earlier, for full batches. Only the sign of g is used, and each coordinate keeps
   its own step size s, which grows while g keeps its sign and shrinks when it flips:
       p = g prev                                   (prev: the last g kept; 0 at t = 1)
       s <- clamp(s f, step_size_min, step_size_max),  f = etaplus (p > 0),
            etaminus (p < 0), 1 (p = 0)             (s = lr at t = 1)
       g <- 0 where p < 0                           (a flip: no move, and no flip next)
       theta <- theta - sign(g) s,   prev <- g
   lr only sets the first step sizes; a schedule changes nothing after step 1.
   PyTorch's Rprop has no weight decay; maximize negates g first.                   */

static void ofs__rprop_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const ofs_real sign = OFS__R(c->maximize ? -1 : 1), up = OFS__R(c->etaplus), down = OFS__R(c->etaminus), lr = OFS__R(c->lr);
    const ofs_real lo = OFS__R(c->step_size_min), hi = OFS__R(c->step_size_max);
    const int first = o->t == 1;
    ofs_real *OFS__RESTRICT prev = o->s[0], *OFS__RESTRICT ss = o->s[1];
    for (i = 0; i < n; i++) {
        ofs_real g = sign * gr[i], pg = g * prev[i];
        ofs_real f = pg > 0 ? up : pg < 0 ? down : pg == 0 ? OFS__R(1) : pg;   /* NaN stays NaN */
        ofs_real si = (first ? lr : ss[i]) * f;
        si = si < lo ? lo : si > hi ? hi : si;   /* torch.clamp; a NaN passes */
        if (pg < 0) g = 0;
        p[i] = p[i] - ofs__sign(g) * si;
        prev[i] = g; ss[i] = si;
    }
}

/* LAMB (You et al., 2020), optax's form: Adam's direction plus decay, rescaled so
   that the step is a fixed fraction of the parameter norm (the trust ratio). The
   norms are over the whole array given to one step: give each layer its own
   ofs_optim (a parameter group) for the paper's layer-wise ratio.
       m, v as Adam;  r = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t) + eps_root) + eps)
       u = r + lambda theta
       trust = |theta| / |u|  (1 when either norm is 0)
       theta <- theta - lr trust u
   Two passes: the first updates m and v and sums the squares, the second recomputes
   u from them (no temporary array).                                               */

static ofs_real ofs__lamb_u(const ofs_optim *o, size_t i, ofs_real th, ofs_real bc1, ofs_real bc2)
{
    const ofs_optim_config *c = &o->cfg;
    ofs_real r = (o->s[0][i] / bc1) / (OFS__SQRT(o->s[1][i] / bc2 + OFS__R(c->eps_root)) + OFS__R(c->eps));
    return r + OFS__R(c->weight_decay) * th;
}

static void ofs__lamb_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    const double t = (double)o->t;
    const ofs_real sign = OFS__R(c->maximize ? -1 : 1), lr = OFS__R(c->lr);
    const ofs_real b1 = OFS__R(c->beta1), b2 = OFS__R(c->beta2), omb1 = OFS__R(1 - c->beta1), omb2 = OFS__R(1 - c->beta2);
    const ofs_real bc1 = OFS__R(1 - pow(c->beta1, t)), bc2 = OFS__R(1 - pow(c->beta2, t));
    double pn = 0, un = 0, tr;
    ofs_real trust;
    ofs_real *OFS__RESTRICT m = o->s[0], *OFS__RESTRICT v = o->s[1];
    for (i = 0; i < n; i++) {            /* serial: the sums must not depend on threads */
        ofs_real g = sign * gr[i], u;
        m[i] = omb1 * g + b1 * m[i];
        v[i] = omb2 * (g * g) + b2 * v[i];
        u = ofs__lamb_u(o, i, p[i], bc1, bc2);
        pn += (double)p[i] * (double)p[i]; un += (double)u * (double)u;
    }
    tr = pn > 0 && un > 0 ? sqrt(pn) / sqrt(un) : 1.0;
    if (tr <= OFS__REAL_MAX) {
        trust = OFS__R(tr);
        OFS__LAMB_PARALLEL_FOR
        for (i = 0; i < n; i++) p[i] = p[i] - lr * (ofs__lamb_u(o, i, p[i], bc1, bc2) * trust);
    } else {   /* |u| tiny beside |theta|: the ratio itself overflows ofs_real, each u trust does not */
        for (i = 0; i < n; i++) p[i] = p[i] - (ofs_real)((double)lr * ((double)ofs__lamb_u(o, i, p[i], bc1, bc2) * tr));
    }
}

/* ==== Chapter 11b: Optimizers after Adam ========================================= */
/* Three answers to three limits of Adam: Schedule-Free (no schedule horizon), Muon
   (orthogonalised steps for weight matrices), Adafactor (second moments in sublinear
   memory). The last two need a group's shape (ofs_optim_init_shape, chapter 14;
   chapter 15's trainer gives each weight matrix its own group by layer). */
/* Schedule-Free (Defazio, Yang, Mehta, Mishchenko, Khaled and Cutkosky, 2024, "The
   Road Less Scheduled", arXiv 2405.15682). A cosine or linear decay needs the length
   of the run before it starts, and the best weights of a run come from its decay:
   stop early and the weights are poor, train longer and the schedule must be redone.
   Schedule-Free keeps a constant lr and replaces the decay by an average. Three
   sequences share one set of steps:
       z: the base sequence, plain SGD (or Adam's normalised step) with the constant lr
       x: the weighted average of the z's, the weights to evaluate and to keep
       y: the interpolation between them, where the gradient is taken
   As the authors' reference implementations compute it (facebookresearch/schedule_free,
   commit 70785b53e778d0e872c0bbb75ff4ee54ee10c291, schedulefree/adamw_schedulefree_reference.py
   and sgd_schedulefree_reference.py), step t (t = 1, 2, ...; p holds y):
       lr_t = lr min(1, t / warmup_steps)           (linear warmup; lr itself when 0)
       lr_max <- max(lr_max, lr_t)                  (0 before the first step)
       w_t = t^r lr_max^weight_lr_power,   W <- W + w_t,   c_t = w_t / W   (0 if W = 0)
       z0 = x0 = y0 = the parameters before step 1
     AdamW (sfadamw), g the gradient at y:
       z <- z - lr_t lambda y                       (decoupled decay, taken at y)
       v <- beta2 v + (1 - beta2) g^2
       z <- z - lr_t g / (sqrt(v / (1 - beta2^t)) + eps)
     SGD (sfsgd):
       z <- z - lr_t (g + lambda y)                 (L2 decay, taken at y)
     both:
       x <- (1 - c_t) x + c_t z
       y <- beta1 x + (1 - beta1) z
   beta1 is the reference SGD's momentum and AdamW's betas[0]: it is not an average of
   gradients (there is no first moment) but how far y leans from z towards x. With
   r = 0 and a constant lr, c_t = 1/t and x is the plain mean of z_1 .. z_t; the
   weights lr_max^2 give the warmup's small steps little say in that mean. The
   reference refuses SGD's momentum 0; here beta1 = 0 is allowed for both (y = z:
   averaging alone, Polyak-Ruppert). Not implemented: upstream's decay_at_z and
   inner_momentum options (their defaults, off, are what this computes).
   The model is trained at y and evaluated at x: the moment arrays are z, x (and v),
   ofs_optim_averaged gives x, and ofs_optim_eval_params copies it out. An lr schedule
   is not needed, but is allowed: lr_max and the weights follow whatever lr is set. */

/* The step's scalars: lr_t and the weight c_t of the newest z in x. */
static double ofs__sf_weight(ofs_optim *o, double *lr_t)
{
    const ofs_optim_config *c = &o->cfg;
    const double t = (double)o->t, w_steps = c->warmup_steps;
    double w;
    *lr_t = c->lr * (t <= w_steps ? t / w_steps : 1.0);
    o->lr_max = ofs__max(o->lr_max, *lr_t);
    w = pow(t, c->r) * pow(o->lr_max, c->weight_lr_power);
    o->weight_sum += w;
    return o->weight_sum > 0 ? w / o->weight_sum : 0.0;
}

static void ofs__sfadamw_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    double lr_t;
    const double ck = ofs__sf_weight(o, &lr_t);
    const int first = o->t == 1;
    const ofs_real sign = OFS__R(c->maximize ? -1 : 1), lr = OFS__R(lr_t), lrwd = OFS__R(lr_t * c->weight_decay);
    const ofs_real b1 = OFS__R(c->beta1), omb1 = OFS__R(1 - c->beta1), b2 = OFS__R(c->beta2), omb2 = OFS__R(1 - c->beta2);
    const ofs_real bc2 = OFS__R(1 - pow(c->beta2, (double)o->t)), eps = OFS__R(c->eps), cx = OFS__R(ck), omc = OFS__R(1 - ck);
    ofs_real *OFS__RESTRICT z = o->s[0], *OFS__RESTRICT x = o->s[1], *OFS__RESTRICT v = o->s[2];
    for (i = 0; i < n; i++) {
        const ofs_real y = p[i], g = sign * gr[i];
        ofs_real zi = first ? y : z[i], xi = first ? y : x[i], vi;
        zi = zi - lrwd * y;
        vi = v[i] = v[i] * b2 + omb2 * g * g;
        zi = zi - lr * (g / (OFS__SQRT(vi / bc2) + eps));
        xi = xi * omc + cx * zi;
        z[i] = zi; x[i] = xi;
        p[i] = xi * b1 + omb1 * zi;
    }
}

static void ofs__sfsgd_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    size_t i;
    double lr_t;
    const double ck = ofs__sf_weight(o, &lr_t);
    const int first = o->t == 1;
    const ofs_real sign = OFS__R(c->maximize ? -1 : 1), lr = OFS__R(lr_t), wd = OFS__R(c->weight_decay);
    const ofs_real b1 = OFS__R(c->beta1), omb1 = OFS__R(1 - c->beta1), cx = OFS__R(ck), omc = OFS__R(1 - ck);
    ofs_real *OFS__RESTRICT z = o->s[0], *OFS__RESTRICT x = o->s[1];
    for (i = 0; i < n; i++) {
        const ofs_real y = p[i], g = sign * gr[i] + wd * y;
        ofs_real zi = first ? y : z[i], xi = first ? y : x[i];
        zi = zi - lr * g;
        xi = xi * omc + cx * zi;
        z[i] = zi; x[i] = xi;
        p[i] = xi * b1 + omb1 * zi;
    }
}

/* Muon (Keller Jordan, 2024, "Muon: An optimizer for hidden layers in neural
   networks"; Liu et al., 2025, "Muon is Scalable for LLM Training"). The gradient of a
   weight matrix is dominated by a few directions: its singular values span decades, so
   SGD's and Adam's steps move the weights almost only along those few. Muon keeps SGD's
   momentum and then replaces the momentum matrix M = U S V^T by (nearly) U V^T: every
   singular value becomes about 1, and the step moves every direction the gradient saw
   by the same amount. U V^T is computed without an SVD, by five steps of a quintic
   Newton-Schulz iteration, three matrix products each (ofs_mat_mul, ofs_mat_mul_nt,
   ofs_mat_mul_tn). A scalar map x -> a x + b x^3 + c x^5 applied to every singular
   value: with (a, b, c) = (3.4445, -4.7750, 2.0315) it sends [0.001, 1] into about
   [0.7, 1.2] in five steps, trading exact convergence to 1 for a steep slope at 0.
   It applies to 2-D weight matrices only: biases, gains and (as both references
   advise) the first and the output layer stay on AdamW (chapter 15's trainer groups).
   As torch >= 2.9 computes it (torch/optim/_muon.py of pytorch/pytorch, commit
   b5ee4d7a797023e11507aea90811559872ce8ff6, _single_tensor_muon lines 307-321 and
   _zeropower_via_newtonschulz lines 55-71, _adjust_lr lines 74-87), for a rows x cols
   matrix, g its gradient:
       b <- b + (1 - mu)(g - b)                    (torch's lerp: mu b + (1 - mu) g; b0 = 0)
       u <- nesterov ? g + mu (b - g) : b          (mu b + (1 - mu) g)
       X <- u / max(|u|_F, eps)                    (Frobenius norm: every singular value <= 1)
       ns_steps times (X wide, rows <= cols; a tall X is treated as its transpose):
           A <- X X^T,   B <- b A + c A A,   X <- a X + B X
       theta <- theta (1 - lr lambda)              (decoupled decay, with the plain lr)
       theta <- theta - lr sqrt(max(1, rows / cols)) X     ("original", torch's default)
       theta <- theta - lr 0.2 sqrt(max(rows, cols)) X     (match_rms_adamw: the step's RMS
                                                            about AdamW's, so AdamW's lr and
                                                            decay carry over)
   torch's defaults: lr 1e-3, weight_decay 0.1, momentum 0.95, nesterov, eps 1e-7, five
   steps. Keller Jordan's muon.py (KellerJordan/Muon, commit 5bc6993, lines 5-41)
   computes the same momentum and iteration, with three differences: eps is added to
   the norm (X / (|u|_F + 1e-7)) instead of flooring it; its defaults are lr 0.02,
   weight_decay 0, momentum 0.95 (nesterov always); and the factor sqrt(max(1, rows /
   cols)) multiplies the update, which comes to the same step. torch's documentation
   box writes the momentum as b <- mu b + g; its code, followed here, averages (the
   two differ by the factor 1 - mu, which the normalisation removes up to eps). Both
   run the iteration in bfloat16 on accelerators; here it runs in ofs_real. maximize
   (not in torch's Muon) negates g first, as everywhere in this header. A group must be
   a matrix of at least 2 x 2 (ofs_optim_init_shape): a 1 x n "matrix" is a vector,
   which the iteration would only normalise. Not element-wise: one step sees the whole
   matrix, and with OpenMP its products are the threaded ones of Appendix A.        */

/* One Newton-Schulz step from X (rows x cols) into Y, A and B of r x r, r the smaller
   side. A tall X (rows > cols) takes the step of its transpose, written without a
   transpose: A = X^T X, and Y^T = a X^T + B X^T is Y = a X + X B^T.               */
static void ofs__ns_step(ofs_mat X, ofs_mat Y, ofs_real *A, ofs_real *B)
{
    static const double a = 3.4445, b = -4.7750, c = 2.0315;
    const int tall = X.rows > X.cols, r = tall ? X.cols : X.rows;
    const ofs_mat Am = ofs_mat_view(A, r, r), Bm = ofs_mat_view(B, r, r);
    size_t i;
    if (tall) ofs_mat_mul_tn(Am, X, X, 0);
    else ofs_mat_mul_nt(Am, X, X, 0);                              /* A = X X^T */
    ofs_mat_mul(Bm, Am, Am, 0);
    for (i = 0; i < (size_t)r * (size_t)r; i++) B[i] = OFS__R(c) * B[i] + OFS__R(b) * A[i];   /* B = b A + c A A */
    memcpy(Y.data, X.data, (size_t)X.rows * (size_t)X.cols * sizeof(ofs_real));
    if (tall) ofs_mat_mul_nt(Y, X, Bm, OFS__R(a));
    else ofs_mat_mul(Y, Bm, X, OFS__R(a));                         /* Y = a X + B X */
}

/* torch.lerp on the CPU: a + w (b - a) below w = 1/2, b - (b - a)(1 - w) from it on. */
static ofs_real ofs__lerp(ofs_real a, ofs_real b, ofs_real w)
{
    return w < OFS__R(0.5) ? a + w * (b - a) : b - (b - a) * (OFS__R(1) - w);
}

/* Muon's workspace: X and Y (n each), then A and B (r x r each). */
static size_t ofs__muon_work(size_t rows, size_t cols)
{
    const size_t r = rows < cols ? rows : cols;
    return 2 * rows * cols + 2 * r * r;
}

static void ofs__muon_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n, r = o->rows < o->cols ? o->rows : o->cols;
    const ofs_real sign = OFS__R(c->maximize ? -1 : 1), mu = OFS__R(c->momentum), omm = OFS__R(1 - c->momentum);
    const ofs_real decay = OFS__R(1 - c->lr * c->weight_decay);
    const double ratio = (double)o->rows / (double)o->cols;
    const ofs_real lr = OFS__R(c->match_rms_adamw ? c->lr * 0.2 * sqrt((double)(o->rows > o->cols ? o->rows : o->cols))
                                                  : c->lr * sqrt(ratio > 1 ? ratio : 1.0));
    ofs_real *OFS__RESTRICT b = o->s[0], *X = o->work, *Y = X + n, *const A = o->work + 2 * n, nrm;
    double ss = 0;
    size_t i;
    int k;
    if (n == 0) return;   /* a zero-length slice: the trainer advancing the step's scalars */
    for (i = 0; i < n; i++) {
        const ofs_real g = sign * gr[i];
        b[i] = ofs__lerp(b[i], g, omm);
        X[i] = c->nesterov ? ofs__lerp(g, b[i], mu) : b[i];
        ss += (double)X[i] * (double)X[i];
    }
    nrm = ofs__maxr(OFS__R(sqrt(ss)), OFS__R(c->eps));
    for (i = 0; i < n; i++) X[i] = X[i] / nrm;
    for (k = 0; k < (int)c->ns_steps; k++) {
        ofs_real *sw = X;
        ofs__ns_step(ofs_mat_view(X, (int)o->rows, (int)o->cols), ofs_mat_view(Y, (int)o->rows, (int)o->cols), A, A + r * r);
        X = Y; Y = sw;
    }
    for (i = 0; i < n; i++) p[i] = p[i] * decay - lr * X[i];
}

/* Adafactor (Shazeer and Stern, 2018, "Adafactor: Adaptive Learning Rates with
   Sublinear Memory Cost"). Adam keeps a second moment for every weight: as much memory
   again as the model, twice with the first moment. For a rows x cols matrix Adafactor
   keeps the mean of g^2 over each row (R, rows numbers) and over each column (C, cols
   numbers) and rebuilds the whole from them, V_ij = R_i C_j / mean(R): the best rank-1
   fit of the second moments, in rows + cols numbers instead of rows x cols. It has no
   first moment, its steps are relative to the weights' size (the RMS of theta), and
   it clips each update to an RMS of d, which makes its early steps safe without a
   warmup. As torch 2.x computes it (torch/optim/_adafactor.py of pytorch/pytorch,
   commit 5f65158aefc31977355102011b310a7d020e5604, _single_tensor_adafactor lines
   365-415, and the algorithm box of its documentation, from line 178), step t:
       1 - beta2_t = t^tau                          (tau = beta2_decay, -0.8: 1 at t = 1)
       rho_t = min(lr, 1 / sqrt(t))                 (the relative step size)
       alpha_t = max(eps2, RMS(theta)) rho_t        (theta before the decay)
       theta <- theta (1 - lr lambda)               (decoupled decay, with lr, not rho_t)
     matrix:  R <- lerp(R, mean_j g_ij^2, 1 - beta2_t),  C <- lerp(C, mean_i g_ij^2, 1 - beta2_t)
              V_ij = R_i C_j / max(mean(R), eps1)
     flat:    V <- lerp(V, g^2, 1 - beta2_t)
       U = g / sqrt(max(V, eps1^2))                 (eps1 floors sqrt(V), as torch: the
                                                     paper adds eps1 to g^2 instead)
       theta <- theta - alpha_t U / max(1, RMS(U) / d)
   RMS(x) = |x|_2 / sqrt(number of elements). The defaults are torch's: lr 1e-2,
   beta2_decay -0.8, eps1 the machine epsilon of ofs_real (torch's None: finfo of the
   parameter's dtype), eps2 1e-3, d 1, no decay. The paper has no lr: its rho_t is
   min(0.01, 1/sqrt(t)); torch's lr is that 0.01. The state is one array: R then C
   (rows + cols values) for a matrix, V (n) for a flat array. Not element-wise (the
   RMS and the factors see the whole group): two passes, as LAMB, no temporary.    */

/* U_i for element i (g its gradient, rm = max(mean(R), eps1)). */
static ofs_real ofs__adafactor_u(const ofs_optim *o, size_t i, ofs_real g, ofs_real rm, ofs_real eps1sq)
{
    const ofs_real *v = o->s[0];
    ofs_real V = o->rows ? v[i / o->cols] * v[o->rows + i % o->cols] / rm : v[i];
    V = V < eps1sq ? eps1sq : V;                                    /* a NaN stays NaN */
    return OFS__R(1) / OFS__SQRT(V) * g;
}

/* The factors' update: R_i and C_j towards the row and column means of g^2 (the
   sign of g, which maximize flips, does not change them). */
static void ofs__adafactor_factors(ofs_optim *o, const ofs_real *gr, ofs_real w)
{
    const size_t R = o->rows, C = o->cols;
    size_t i, j;
    for (i = 0; i < R; i++) {
        double s = 0;
        for (j = 0; j < C; j++) s += (double)gr[i * C + j] * (double)gr[i * C + j];
        o->s[0][i] = ofs__lerp(o->s[0][i], OFS__R(s / (double)C), w);
    }
    for (j = 0; j < C; j++) {
        double s = 0;
        for (i = 0; i < R; i++) s += (double)gr[i * C + j] * (double)gr[i * C + j];
        o->s[0][R + j] = ofs__lerp(o->s[0][R + j], OFS__R(s / (double)R), w);
    }
}

static void ofs__adafactor_step(ofs_optim *o, ofs_real *OFS__RESTRICT p, const ofs_real *OFS__RESTRICT gr)
{
    const ofs_optim_config *c = &o->cfg;
    const size_t n = o->n;
    const double t = (double)o->t, rho = c->lr < 1 / sqrt(t) ? c->lr : 1 / sqrt(t);
    const ofs_real sign = OFS__R(c->maximize ? -1 : 1), w = OFS__R(pow(t, c->beta2_decay));
    const ofs_real eps1sq = OFS__R(c->eps1 * c->eps1), decay = OFS__R(1 - c->lr * c->weight_decay);
    ofs_real *OFS__RESTRICT v = o->s[0], rm = 1, step;
    double ps = 0, us = 0, alpha, clip;
    size_t i;
    if (n == 0) return;
    for (i = 0; i < n; i++) ps += (double)p[i] * (double)p[i];
    alpha = ofs__max(c->eps2, sqrt(ps) / sqrt((double)n)) * rho;
    if (o->rows) {
        double sum = 0;
        ofs__adafactor_factors(o, gr, w);
        for (i = 0; i < o->rows; i++) sum += (double)v[i];
        rm = ofs__maxr(OFS__R(sum / (double)o->rows), OFS__R(c->eps1));
    } else {
        for (i = 0; i < n; i++) v[i] = ofs__lerp(v[i], (sign * gr[i]) * (sign * gr[i]), w);
    }
    for (i = 0; i < n; i++) {
        const ofs_real u = ofs__adafactor_u(o, i, sign * gr[i], rm, eps1sq);
        us += (double)u * (double)u;
    }
    clip = ofs__max(1.0, sqrt(us) / (sqrt((double)n) * c->d));
    step = OFS__R(alpha / clip);
    for (i = 0; i < n; i++) p[i] = p[i] * decay - step * ofs__adafactor_u(o, i, sign * gr[i], rm, eps1sq);
}

/* ---- Wrappers: Lookahead, SAM and ASAM ------------------------------------------
   Each takes any optimizer of chapters 3 to 11b as it is (ofs_optim, its config and
   state untouched) and changes where or how often its steps land.

   Lookahead (Zhang, Lucas, Hinton and Ba, 2019, "Lookahead Optimizer: k steps
   forward, 1 step back", arXiv 1907.08610, Algorithm 1). The base optimizer's steps
   zig-zag across a narrow valley; their mean over a few steps points along it.
   Lookahead lets the base run k steps (the fast weights theta), then moves slow
   weights phi part of the way to where they ended and restarts the fast ones there.
   As the authors' code computes it (michaelrzhang/lookahead, commit
   c4fd85f73cdaa6450eacf7d52d9050d9ff98a6e1, lookahead_pytorch.py, pullback_momentum
   "none"):
       init:   phi = theta (the parameters when the wrapper is made), count = 0
       step:   theta <- the base optimizer's step at theta;  count <- count + 1
               if count = k:  theta <- alpha theta + (1 - alpha) phi
                              phi <- theta;  count <- 0
   so the syncs follow the inner steps k, 2k, 3k, ... counted from the wrapper's
   creation, and after each one fast and slow are the same bits. alpha = 1 is the
   base optimizer (the sync copies); the paper's form phi + alpha (theta - phi) is
   the same to rounding. The base optimizer's momentum and moments carry on across a
   sync as they were ("none"; the code's "pullback" mode aliases the momentum buffer
   after its first sync, and is not implemented). The code's state_dict keeps only
   the base optimizer's state; here phi and count are saved too, so a resumed run is
   the same run. Evaluate with phi (the paper does): params equal it after a sync. */

OFSDEF ofs_lookahead_config ofs_lookahead_defaults(void)
{
    ofs_lookahead_config c;
    c.k = 5; c.alpha = 0.8;
    return c;
}

OFSDEF ofs_status ofs_lookahead_validate(const ofs_lookahead_config *c, ofs_err *err)
{
    OFS_ASSERT(c);
    if (c->k < 1) return ofs__fail(err, OFS_ERR_ARG, "lookahead: expected k >= 1 (base steps per sync), found %d", c->k);
    if (!(c->alpha > 0 && c->alpha <= 1))
        return ofs__fail(err, OFS_ERR_ARG, "lookahead: expected alpha in (0, 1] (1: the base optimizer alone), found %g", c->alpha);
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_lookahead_init(ofs_lookahead *la, const ofs_lookahead_config *c, const ofs_real *params,
                                     size_t n, ofs_err *err)
{
    ofs_status st;
    size_t i;
    OFS_ASSERT(la && c);
    memset(la, 0, sizeof *la);
    if ((st = ofs_lookahead_validate(c, err)) != OFS_OK) return st;
    if (!params || n == 0)
        return ofs__fail(err, OFS_ERR_ARG, "lookahead: expected the parameters (n >= 1 values) to copy as the slow weights, "
                         "found %s", params ? "n = 0" : "NULL");
    if ((i = ofs__first_nonfinite(params, n)) < n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "lookahead: expected finite parameters to copy as the slow weights, found "
                         "%g at element %lu of %lu", (double)params[i], (unsigned long)i, (unsigned long)n);
    if (!(la->slow = (ofs_real *)ofs__alloc(n, sizeof(ofs_real))))
        return ofs__fail(err, OFS_ERR_NOMEM, "lookahead: cannot allocate %lu slow weights", (unsigned long)n);
    memcpy(la->slow, params, n * sizeof *params);
    la->cfg = *c; la->n = n;
    return ofs__ok(err);
}

/* The sync over elements [i0, i0 + n) (the trainer's threads each take a slice):
   fast <- alpha fast + (1 - alpha) slow, in the code's order; slow <- fast. */
static void ofs__lookahead_sync(const ofs_lookahead *la, ofs_real *OFS__RESTRICT p, size_t i0, size_t n)
{
    ofs_real *OFS__RESTRICT s = la->slow + i0;
    const ofs_real a = OFS__R(la->cfg.alpha), oma = OFS__R(1 - la->cfg.alpha);
    size_t i;
    if (la->cfg.alpha == 1) { memcpy(s, p, n * sizeof *p); return; }   /* the base optimizer's bits, -0 included */
    for (i = 0; i < n; i++) s[i] = p[i] = p[i] * a + oma * s[i];
}

/* What must hold before a step or a sync. */
static ofs_status ofs__lookahead_ready(const ofs_lookahead *la, const ofs_real *params, const char *what, ofs_err *err)
{
    ofs_status st;
    if (!la->slow) return ofs__fail(err, OFS_ERR_ARG, "%s: the wrapper was not initialised (no slow weights)", what);
    if (!params) return ofs__fail(err, OFS_ERR_ARG, "%s: expected the parameters (%lu values), found NULL", what, (unsigned long)la->n);
    if ((st = ofs_lookahead_validate(&la->cfg, err)) != OFS_OK) return st;
    if (la->count < 0 || la->count >= la->cfg.k)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected a count in [0, k = %d), found %lld", what, la->cfg.k, (long long)la->count);
    return OFS_OK;
}

OFSDEF ofs_status ofs_lookahead_after_step(ofs_lookahead *la, ofs_real *params, ofs_err *err)
{
    ofs_status st;
    size_t i;
    OFS_ASSERT(la);
    if ((st = ofs__lookahead_ready(la, params, "lookahead", err)) != OFS_OK) return st;
    if (la->count + 1 < la->cfg.k) { la->count++; return ofs__ok(err); }
    if ((i = ofs__first_nonfinite(params, la->n)) < la->n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "lookahead sync: expected finite fast weights, found %g at element %lu of %lu; "
                         "the slow weights and the count are unchanged", (double)params[i], (unsigned long)i, (unsigned long)la->n);
    ofs__lookahead_sync(la, params, 0, la->n);
    la->count = 0;
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_lookahead_step(ofs_lookahead *la, ofs_optim *base, ofs_real *params, const ofs_real *grads,
                                     ofs_err *err)
{
    ofs_status st;
    size_t i;
    OFS_ASSERT(la && base);
    if ((st = ofs__lookahead_ready(la, params, "lookahead step", err)) != OFS_OK) return st;
    if (base->n != la->n)
        return ofs__fail(err, OFS_ERR_ARG, "lookahead step: expected an optimizer over the wrapper's %lu parameters, found "
                         "one over %lu", (unsigned long)la->n, (unsigned long)base->n);
    if (!grads) return ofs__fail(err, OFS_ERR_ARG, "lookahead step: expected the gradient (%lu values), found NULL", (unsigned long)la->n);
    if ((i = ofs__first_nonfinite(grads, la->n)) < la->n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "lookahead step: expected a finite gradient, found %g at element %lu of %lu; "
                         "nothing changed", (double)grads[i], (unsigned long)i, (unsigned long)la->n);
    if ((st = ofs_optim_step(base, params, grads, err)) != OFS_OK) return st;
    return ofs_lookahead_after_step(la, params, err);
}

OFSDEF void ofs_lookahead_free(ofs_lookahead *la) { ofs__free(la->slow); memset(la, 0, sizeof *la); }

/* Saved: a tag, n, k, alpha, count, then the slow weights (each a double: exact for float). */
#define OFS__LOOKAHEAD_TAG 0x31414b4cu   /* "LKA1" */
OFSDEF void ofs_lookahead_save(const ofs_lookahead *la, ofs_buf *b)
{
    OFS_ASSERT(la && b && la->slow);
    ofs_put_u64(b, OFS__LOOKAHEAD_TAG); ofs_put_u64(b, (uint64_t)la->n); ofs_put_u64(b, (uint64_t)la->cfg.k);
    ofs_put_f64(b, la->cfg.alpha); ofs_put_u64(b, (uint64_t)la->count);
    ofs_put_reals(b, la->slow, la->n);
}

OFSDEF ofs_status ofs_lookahead_load(ofs_lookahead *la, ofs_reader *r, ofs_err *err)
{
    const uint64_t tag = ofs_get_u64(r), n = ofs_get_u64(r), k = ofs_get_u64(r);
    const double alpha = ofs_get_f64(r);
    const uint64_t count = ofs_get_u64(r);
    ofs_status st;
    OFS_ASSERT(la && r && la->slow);
    if (r->failed || tag != OFS__LOOKAHEAD_TAG)
        return ofs__fail(err, OFS_ERR_FORMAT, "lookahead state: expected the tag %08lx and its header, found %s",
                         (unsigned long)OFS__LOOKAHEAD_TAG, r->failed ? "a truncated state" : "another tag");
    if (n != (uint64_t)la->n || k != (uint64_t)la->cfg.k || !(alpha == la->cfg.alpha))
        return ofs__fail(err, OFS_ERR_MISMATCH, "lookahead state: expected %lu slow weights with k = %d and alpha = %g, found "
                         "%llu with k = %llu and alpha = %g", (unsigned long)la->n, la->cfg.k, la->cfg.alpha,
                         (unsigned long long)n, (unsigned long long)k, alpha);
    if (count >= k)
        return ofs__fail(err, OFS_ERR_FORMAT, "lookahead state: expected a count of steps since the sync in [0, k = %llu), "
                         "found %llu", (unsigned long long)k, (unsigned long long)count);
    if ((st = ofs__load_finite(r, la->slow, la->n, "lookahead state: the slow weights", err)) != OFS_OK) return st;
    la->count = (int64_t)count;
    return ofs__ok(err);
}

/* SAM (Foret, Kleiner, Mobahi and Neyshabur, 2020, "Sharpness-Aware Minimization for
   Efficiently Improving Generalization", arXiv 2010.01412, Algorithm 1, p = 2) and
   ASAM (Kwon, Kim, Park and Choi, 2021, "ASAM: Adaptive Sharpness-Aware
   Minimization", arXiv 2102.11600). A minimum in a narrow well fits the training
   data, but moving the weights a little (other data, rounding) costs much; one in a
   wide basin does not. SAM minimises the loss at the worst point of a ball around w,
       min_w  max_{||e|| <= rho}  L(w + e),
   with the inner max taken to first order: e = rho g / ||g||. ASAM measures the ball
   in units of each weight, T = |w| + eta, so that rescaling a layer does not change
   the sharpness it sees. As the references compute it (SAM: davda54/sam, commit
   3c3afdbd71cff2462ec91c734b3d1170bd0f3707, sam.py, checked against the authors' JAX
   code, google-research/sam; ASAM: SamsungLabs/ASAM, commit
   f156a680171db16d551c0d85cba2514fa3bff6a2, asam.py), step t, g the gradient at w:
       T_i = 1 (SAM); |w_i| + eta (ASAM; 1 for the elements from adapt_n on, the biases)
       norm = sqrt(sum_i (T_i g_i)^2)                (one norm over every parameter)
       e_i = T_i^2 g_i rho / (norm + eps)
       g2 = the gradient at w + e
       w <- the base optimizer's step at w with g2   (its weight decay sees w)
   eps is where the codes differ: davda54 adds 1e-12 (the default: g = 0 gives e = 0,
   not NaN), ASAM's code 1e-16, the JAX code nothing (eps = 0: g = 0 is then refused as
   a point that is not finite). Near a minimum, where the norm is small, the choice
   shows: with rho = 0.5 around SGD, 1e-12 for 1e-16 moves w + e by 2e-10 relative
   within 100 steps. Unlike the PyTorch codes, w itself never moves: the second
   gradient is taken at a point of the wrapper's own (the closure of chapter 4b gets
   x, not w), which is their restore done exactly. The step counts once: base's t, a
   schedule's step and Lookahead's count see one step per two evaluations. */

OFSDEF ofs_sam_config ofs_sam_defaults(void)
{
    ofs_sam_config c;
    c.rho = 0.05; c.adaptive = 0; c.eta = 0.01; c.eps = 1e-12;
    return c;
}

OFSDEF ofs_status ofs_sam_validate(const ofs_sam_config *c, ofs_err *err)
{
    OFS_ASSERT(c);
    if (!(c->rho >= 0 && c->rho <= 1e6))
        return ofs__fail(err, OFS_ERR_ARG, "sam: expected rho in [0, 1e6] (the ball's radius; 0: the base optimizer), found %g", c->rho);
    if (c->adaptive != 0 && c->adaptive != 1)
        return ofs__fail(err, OFS_ERR_ARG, "sam: expected adaptive 0 (SAM) or 1 (ASAM), found %d", c->adaptive);
    if (!(c->eta >= 0 && c->eta <= 1e6))
        return ofs__fail(err, OFS_ERR_ARG, "sam: expected eta in [0, 1e6] (ASAM: added to |w|), found %g", c->eta);
    if (!(c->eps >= 0 && c->eps <= 1))
        return ofs__fail(err, OFS_ERR_ARG, "sam: expected eps in [0, 1] (added to the norm), found %g", c->eps);
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_sam_init(ofs_sam *s, const ofs_sam_config *c, size_t n, ofs_err *err)
{
    ofs_status st;
    OFS_ASSERT(s && c);
    memset(s, 0, sizeof *s);
    if ((st = ofs_sam_validate(c, err)) != OFS_OK) return st;
    if (n == 0) return ofs__fail(err, OFS_ERR_ARG, "sam: expected n >= 1 parameters, found 0");
    if (n > (size_t)-1 / 3 || !(s->x = (ofs_real *)ofs__alloc(3 * n, sizeof(ofs_real))))
        return ofs__fail(err, OFS_ERR_NOMEM, "sam: cannot allocate 3 x %lu values (the point and two gradients)", (unsigned long)n);
    s->g = s->x + n; s->g2 = s->g + n;
    s->cfg = *c; s->n = s->adapt_n = n;
    return ofs__ok(err);
}

OFSDEF void ofs_sam_free(ofs_sam *s) { ofs__free(s->x); memset(s, 0, sizeof *s); }

/* What must hold before a step or a perturbation. */
static ofs_status ofs__sam_ready(const ofs_sam *s, const ofs_real *params, const char *what, ofs_err *err)
{
    ofs_status st;
    if (!s->x) return ofs__fail(err, OFS_ERR_ARG, "%s: the wrapper was not initialised (n = 0)", what);
    if (!params) return ofs__fail(err, OFS_ERR_ARG, "%s: expected the parameters (%lu values), found NULL", what, (unsigned long)s->n);
    if ((st = ofs_sam_validate(&s->cfg, err)) != OFS_OK) return st;
    if (s->adapt_n > s->n)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected adapt_n <= n = %lu (the adapted elements come first), found %lu",
                         what, (unsigned long)s->n, (unsigned long)s->adapt_n);
    if (s->perturbed)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected the parameters restored (ofs_sam_restore) after the last perturbation", what);
    return OFS_OK;
}

/* Element i's scale T_i: |w_i| + eta for the adapted elements of ASAM, else 1. */
static ofs_real ofs__sam_t(const ofs_sam *s, ofs_real w, size_t i)
{
    return s->cfg.adaptive && i < s->adapt_n ? (w < 0 ? -w : w) + OFS__R(s->cfg.eta) : OFS__R(1);
}

/* x = w + e from w and g (n values each; x is neither). Refuses (OFS_ERR_NONFINITE) a
   gradient, norm or point that is not finite, naming `where` g was taken; x may then
   hold anything, w and g are untouched. */
static ofs_status ofs__sam_point(ofs_sam *s, const ofs_real *w, const ofs_real *g, ofs_real *x, const char *what,
                                 const char *where, ofs_err *err)
{
    const size_t n = s->n;
    double sum = 0;
    ofs_real scale;
    size_t i;
    if ((i = ofs__first_nonfinite(g, n)) < n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: expected a finite gradient at %s, found %g at element %lu of %lu; nothing "
                         "changed", what, where, (double)g[i], (unsigned long)i, (unsigned long)n);
    for (i = 0; i < n; i++) {
        const double tg = (double)(ofs__sam_t(s, w[i], i) * g[i]);
        sum += tg * tg;
    }
    s->norm = sqrt(sum);
    if (!ofs__finite(s->norm))
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: expected a finite norm ||T g||, found %g; nothing changed", what, s->norm);
    scale = OFS__R(s->cfg.rho / (s->norm + s->cfg.eps));
    for (i = 0; i < n; i++) {
        const ofs_real t = ofs__sam_t(s, w[i], i);
        x[i] = w[i] + t * t * g[i] * scale;
    }
    if ((i = ofs__first_nonfinite(x, n)) < n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: expected a finite point w + e, found %g at element %lu of %lu; nothing "
                         "changed", what, (double)x[i], (unsigned long)i, (unsigned long)n);
    return OFS_OK;
}

OFSDEF ofs_status ofs_sam_perturb(ofs_sam *s, ofs_real *params, const ofs_real *grads, ofs_err *err)
{
    ofs_status st;
    OFS_ASSERT(s);
    if ((st = ofs__sam_ready(s, params, "sam perturb", err)) != OFS_OK) return st;
    if (!grads) return ofs__fail(err, OFS_ERR_ARG, "sam perturb: expected the gradient at w (%lu values), found NULL", (unsigned long)s->n);
    if ((st = ofs__sam_point(s, params, grads, s->g2, "sam perturb", "w", err)) != OFS_OK) return st;
    memcpy(s->x, params, s->n * sizeof *params);
    memcpy(params, s->g2, s->n * sizeof *params);
    s->perturbed = 1;
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_sam_restore(ofs_sam *s, ofs_real *params, ofs_err *err)
{
    OFS_ASSERT(s);
    if (!s->perturbed || !params)
        return ofs__fail(err, OFS_ERR_ARG, "sam restore: expected %s, found %s", params ? "a perturbation to undo (ofs_sam_perturb first)" :
                         "the parameters", params ? "none" : "NULL");
    memcpy(params, s->x, s->n * sizeof *params);
    s->perturbed = 0;
    return ofs__ok(err);
}

/* One evaluation of the closure, at x: the loss and the gradient must be finite. */
static ofs_status ofs__sam_eval(ofs_closure f, void *ctx, const ofs_real *x, ofs_real *g, size_t n, const char *where,
                                double *loss, ofs_err *err)
{
    size_t i;
    *loss = f(x, g, ctx);
    if (!ofs__finite(*loss))
        return ofs__fail(err, OFS_ERR_NONFINITE, "sam step: expected a finite loss at %s, found %g; nothing changed", where, *loss);
    if ((i = ofs__first_nonfinite(g, n)) < n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "sam step: expected a finite gradient at %s, found %g at element %lu of %lu; "
                         "nothing changed", where, (double)g[i], (unsigned long)i, (unsigned long)n);
    return OFS_OK;
}

OFSDEF ofs_status ofs_sam_step(ofs_sam *s, ofs_optim *base, ofs_real *params, const ofs_real *grads,
                               ofs_closure f, void *ctx, double *loss, ofs_err *err)
{
    double fx;
    ofs_status st;
    OFS_ASSERT(s && base);
    if ((st = ofs__sam_ready(s, params, "sam step", err)) != OFS_OK) return st;
    if (base->n != s->n)
        return ofs__fail(err, OFS_ERR_ARG, "sam step: expected an optimizer over the wrapper's %lu parameters, found one over %lu",
                         (unsigned long)s->n, (unsigned long)base->n);
    if (!f) return ofs__fail(err, OFS_ERR_ARG, "sam step: expected a closure (two evaluations per step: at w and at w + e), found NULL");
    if ((st = ofs_optim_validate(&base->cfg, err)) != OFS_OK) return ofs__wrap(err, st, "sam step: the base optimizer");
    if (!grads) {
        if ((st = ofs__sam_eval(f, ctx, params, s->g, s->n, "w", &fx, err)) != OFS_OK) return st;
        grads = s->g;
    }
    if ((st = ofs__sam_point(s, params, grads, s->x, "sam step", "w", err)) != OFS_OK) return st;
    if ((st = ofs__sam_eval(f, ctx, s->x, s->g2, s->n, "w + e", &fx, err)) != OFS_OK) return st;
    if ((st = ofs_optim_step(base, params, s->g2, err)) != OFS_OK) return st;
    if (loss) *loss = fx;
    return ofs__ok(err);
}

/* Saved: a tag, n, adapt_n, rho, adaptive, eta, eps: the settings a resumed run must share. */
#define OFS__SAM_TAG 0x314d4153u   /* "SAM1" */
OFSDEF void ofs_sam_save(const ofs_sam *s, ofs_buf *b)
{
    OFS_ASSERT(s && b);
    ofs_put_u64(b, OFS__SAM_TAG); ofs_put_u64(b, (uint64_t)s->n); ofs_put_u64(b, (uint64_t)s->adapt_n);
    ofs_put_f64(b, s->cfg.rho); ofs_put_u64(b, (uint64_t)s->cfg.adaptive); ofs_put_f64(b, s->cfg.eta); ofs_put_f64(b, s->cfg.eps);
}

OFSDEF ofs_status ofs_sam_load(ofs_sam *s, ofs_reader *r, ofs_err *err)
{
    const uint64_t tag = ofs_get_u64(r), n = ofs_get_u64(r), na = ofs_get_u64(r);
    ofs_sam_config c;
    uint64_t adaptive;
    OFS_ASSERT(s && r);
    c.rho = ofs_get_f64(r); adaptive = ofs_get_u64(r); c.eta = ofs_get_f64(r); c.eps = ofs_get_f64(r);
    if (r->failed || tag != OFS__SAM_TAG)
        return ofs__fail(err, OFS_ERR_FORMAT, "sam state: expected the tag %08lx and its settings, found %s",
                         (unsigned long)OFS__SAM_TAG, r->failed ? "a truncated state" : "another tag");
    c.adaptive = adaptive > 1 ? 2 : (int)adaptive;
    if (ofs_sam_validate(&c, err) != OFS_OK) return ofs__wrap(err, OFS_ERR_FORMAT, "sam state");
    if (n != (uint64_t)s->n || na != (uint64_t)s->adapt_n || !(c.rho == s->cfg.rho) || c.adaptive != s->cfg.adaptive ||
        !(c.eta == s->cfg.eta) || !(c.eps == s->cfg.eps))
        return ofs__fail(err, OFS_ERR_MISMATCH, "sam state: expected n = %lu, adapt_n = %lu, rho = %g, adaptive = %d, eta = %g, "
                         "eps = %g; found %llu, %llu, %g, %d, %g, %g", (unsigned long)s->n, (unsigned long)s->adapt_n, s->cfg.rho,
                         s->cfg.adaptive, s->cfg.eta, s->cfg.eps, (unsigned long long)n, (unsigned long long)na, c.rho,
                         c.adaptive, c.eta, c.eps);
    return ofs__ok(err);
}

/* ==== Chapter 12: Learning-rate schedules ========================================= */
/* A constant rate leaves SGD jittering around the minimum (chapter 5); a rate that
   falls lets it settle, and a short rise at the start (warmup) keeps Adam's early,
   badly estimated steps small. A schedule here is a closed form: lr(k) depends only on
   the description and on k, the number of optimizer steps already taken, so there is
   no scheduler state to save (k is the optimizer's t) and no drift. PyTorch's
   schedulers mostly multiply the current lr by a ratio at each step(); when nothing
   else writes the lr, that chain equals the closed form to ~1e-14, which is what
   tests/test_sched.c checks against torch 1.13. With eta0 = base_lr, T = total_iters:

     constant          eta0
     constant_factor   eta0 (k < T ? factor : 1)                 ConstantLR
     linear            eta0 (s + (e - s) min(k, T) / T)          LinearLR; s = 0 is allowed
     step              eta0 gamma^floor(k / step_size)           StepLR
     multistep         eta0 gamma^#{m in milestones : m <= k}    MultiStepLR; repeats count
     exponential       eta0 gamma^k                              ExponentialLR
     factor            max(eta_min, eta0 gamma^k)                D2L's FactorScheduler
     polynomial        eta0 (1 - min(k, T) / T)^power            PolynomialLR; 0 from k = T
     inverse_power     eta0 (beta k + 1)^-power                  D2L's polynomial decay
     sqrt              eta0 (k + 1)^-1/2                         D2L's SquareRootScheduler
     piecewise         eta0 values[#{m in milestones : m <= k}]
     cosine            eta_min + (eta0 - eta_min) (1 + cos(pi k / t_max)) / 2
     wsd               eta0, then a cooldown to eta_min over the last steps of the run

   PyTorch's cosine is periodic: past t_max it rises again, reaching eta0 at 2 t_max.
   D2L's CosineScheduler holds eta_min instead: hold = 1, that is k -> min(k, t_max).

   Warmup, for any kind: lr(k) = eta0 (s + (1 - s) k / W) for k < W = warmup_steps,
   s = warmup_start, and the schedule at k - W after that. This is PyTorch's
   SequentialLR([LinearLR(s, 1, W), schedule], milestones = [W]).                   */

/* Number of milestones <= k in a sorted list: Python's bisect_right. */
static int ofs__count_le(const int64_t *m, int n, int64_t k)
{
    int i = 0;
    while (i < n && m[i] <= k) i++;
    return i;
}

static double ofs__linear_lr(double eta0, double s, double e, int64_t t, int64_t k)
{
    return eta0 * (s + (e - s) * (double)(k < t ? k : t) / (double)t);
}

/* lo + (hi - lo) (1 + cos(pi num / den)) / 2, in PyTorch's order of operations. */
static double ofs__cosine_lr(double lo, double hi, double num, double den)
{
    return lo + (hi - lo) * (1 + cos(M_PI * num / den)) / 2;
}

static double ofs__sched_eval(const ofs_sched *s, double eta0, int64_t k);

/* Each kind's rate at k steps after its warmup, from eta0: one small function each,
   named in the kind's row of the table below. OFS__LR(step) is the function
   ofs__lr_step(s, eta0, k). */
#define OFS__LR(kind) static double ofs__lr_##kind(const ofs_sched *s, double eta0, int64_t k)
OFS__LR(constant) { (void)s; (void)k; return eta0; }
OFS__LR(constant_factor) { return eta0 * (k < s->total_iters ? s->factor : 1.0); }
OFS__LR(linear) { return ofs__linear_lr(eta0, s->start_factor, s->end_factor, s->total_iters, k); }
OFS__LR(step) { return eta0 * pow(s->gamma, (double)(k / s->step_size)); }
OFS__LR(multistep) { return eta0 * pow(s->gamma, (double)ofs__count_le(s->milestones, s->n_milestones, k)); }
OFS__LR(exponential) { return eta0 * pow(s->gamma, (double)k); }
OFS__LR(factor) { double f = eta0 * pow(s->gamma, (double)k); return f > s->eta_min ? f : s->eta_min; }
OFS__LR(polynomial) { int64_t t = s->total_iters; return eta0 * pow(1.0 - (double)(k < t ? k : t) / (double)t, s->power); }
OFS__LR(inverse_power) { return eta0 * pow(s->beta * (double)k + 1, -s->power); }
OFS__LR(sqrt) { (void)s; return eta0 * pow((double)k + 1.0, -0.5); }
OFS__LR(piecewise) { return eta0 * s->values[ofs__count_le(s->milestones, s->n_milestones, k)]; }
#undef OFS__LR

static double ofs__lr_cosine(const ofs_sched *s, double eta0, int64_t k)
{
    if (s->hold && k > s->t_max) k = s->t_max;
    return ofs__cosine_lr(s->eta_min, eta0, (double)k, (double)s->t_max);
}

/* Cosine with warm restarts (SGDR, Loshchilov and Hutter 2017): periods T_i = t_0
   t_mult^i follow one another; within a period T_cur counts from 0, and
       lr = eta_min + (eta0 - eta_min) (1 + cos(pi T_cur / T_i)) / 2.
   PyTorch's step(epoch) finds the period with a floating-point logarithm, which lands
   one period early at some exact restarts (t_0 = 2, t_mult = 3, k = 242 gives 0, not
   eta0). Subtracting whole periods in integers is exact, like PyTorch's step(). */
static double ofs__lr_restarts(const ofs_sched *s, double eta0, int64_t k)
{
    int64_t t_i = s->t_0;
    if (s->t_mult == 1) k %= t_i;
    else
        while (k >= t_i) {
            k -= t_i;
            if (t_i > INT64_MAX / s->t_mult)   /* the next period is longer than any k */
                return ofs__cosine_lr(s->eta_min, eta0, (double)k, (double)t_i * (double)s->t_mult);
            t_i *= s->t_mult;
        }
    return ofs__cosine_lr(s->eta_min, eta0, (double)k, (double)t_i);
}

/* One-cycle (Smith and Topin 2018; PyTorch's OneCycleLR). With N = total_steps,
   init = max_lr / div_factor and lo = init / final_div_factor, the phases end at
       E1 = pct_start N - 1,   E2 = N - 1                   (two phases)
       E1 = pct_start N - 1,   E2 = 2 pct_start N - 2,   E3 = N - 1   (three phases)
   (real numbers, not rounded). Step k lies in the first phase with k <= E_end (else the
   last); p = (k - E_start) / (E_end - E_start) and the value goes from a to b:
       cos:     b + (a - b) / 2 (cos(pi p) + 1)        linear:  (b - a) p + a
       lr:        init -> max_lr -> lo                 init -> max_lr -> init -> lo
       momentum:  max_m -> base_m -> max_m             max_m -> base_m -> max_m -> max_m
   PyTorch refuses k > N; here the value stays at that of k = N.                   */
static int ofs__onecycle_ends(const ofs_sched *s, double end[3])
{
    double n = (double)s->total_steps;
    end[0] = s->pct_start * n - 1;
    if (!s->three_phase) { end[1] = n - 1; return 2; }
    end[1] = 2 * s->pct_start * n - 2;
    end[2] = n - 1;
    return 3;
}

static double ofs__onecycle(const ofs_sched *s, double max_lr, int64_t k, int momentum)
{
    double end[3], pt[4], start = 0, p, a, b;
    double init = max_lr / s->div_factor, lo = init / s->final_div_factor;
    int phases = ofs__onecycle_ends(s, end), i;
    pt[0] = momentum ? s->max_momentum : init;
    pt[1] = momentum ? s->base_momentum : max_lr;
    pt[2] = momentum ? s->max_momentum : phases == 3 ? init : lo;
    pt[3] = momentum ? s->max_momentum : lo;
    if (k > s->total_steps) k = s->total_steps;
    for (i = 0; i < phases - 1 && (double)k > end[i]; i++) start = end[i];
    p = ((double)k - start) / (end[i] - start);
    a = pt[i]; b = pt[i + 1];
    return s->anneal_linear ? (b - a) * p + a : b + (a - b) / 2.0 * (cos(M_PI * p) + 1);
}

static double ofs__lr_onecycle(const ofs_sched *s, double eta0, int64_t k) { return ofs__onecycle(s, eta0, k, 0); }

/* Cyclical learning rates (Smith 2017; PyTorch's CyclicLR). A cycle is U + D steps
   (step_size_up, step_size_down; D = 0 means D = U): the rate climbs from eta0 to
   max_lr in U steps and falls back in D, each cycle's height scaled by
       triangular 1,   triangular2 1 / 2^(c - 1),   exp_range gamma^k,   or scale_fn
   of the cycle number c (1, 2, ...; triangular, triangular2, scale_iterations = 0) or
   of k (exp_range, scale_iterations = 1). In PyTorch's order of operations:
       c = floor(1 + k / (U + D)),  x = 1 + k / (U + D) - c,  r = U / (U + D)
       h = x <= r ? x / r : (x - 1) / (r - 1)          (0 -> 1 -> 0 over a cycle)
       lr = eta0 + (max_lr - eta0) h scale,   momentum = max_m - (max_m - base_m) h scale
   so the momentum falls while the rate rises (cycle_momentum: base_momentum 0.8,
   max_momentum 0.9). PyTorch 1.13 cycles only an optimizer with 'momentum' (SGD,
   RMSprop) and refuses Adam; here, as in PyTorch 2.2 and its OneCycleLR, the Adam
   family's beta1 is cycled. */
static double ofs__cyclic(const ofs_sched *s, double lo, double hi, int64_t k, int momentum)
{
    const double up = (double)s->step_size_up, total = up + (double)(s->step_size_down ? s->step_size_down : s->step_size_up);
    const double ratio = up / total, cycle = floor(1 + (double)k / total), x = 1. + (double)k / total - cycle;
    const double h = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    const double arg = s->scale_fn ? (s->scale_iterations ? (double)k : cycle) : s->cyclic_mode == OFS_CYCLIC_EXP_RANGE ? (double)k : cycle;
    const double scale = s->scale_fn ? s->scale_fn(arg, s->fn_ctx) : s->cyclic_mode == OFS_CYCLIC_TRIANGULAR ? 1.
                       : s->cyclic_mode == OFS_CYCLIC_TRIANGULAR2 ? 1 / pow(2., arg - 1) : pow(s->gamma, arg);
    return momentum ? hi - (hi - lo) * h * scale : lo + (hi - lo) * h * scale;
}

static double ofs__lr_cyclic(const ofs_sched *s, double eta0, int64_t k) { return ofs__cyclic(s, eta0, s->max_lr, k, 0); }

/* LambdaLR: eta0 lr_lambda(k); MultiplicativeLR: eta0 lr_lambda(1) ... lr_lambda(k),
   multiplied in that order as PyTorch's steps do (k calls: O(k) per rate). The
   function gets fn_ctx; a rate that is not a finite number >= 0 is refused by
   ofs_sched_apply (OFS_ERR_NONFINITE). */
static double ofs__lr_lambda(const ofs_sched *s, double eta0, int64_t k) { return eta0 * s->lr_lambda(k, s->fn_ctx); }

static double ofs__lr_multiplicative(const ofs_sched *s, double eta0, int64_t k)
{
    int64_t j;
    double lr = eta0;
    for (j = 1; j <= k && lr == lr; j++) lr = lr * s->lr_lambda(j, s->fn_ctx);
    return lr;
}

/* SWALR (Izmailov et al. 2018; torch.optim.swa_utils.SWALR): from eta0 to swa_lr in
   anneal_epochs steps, then swa_lr for good:
       t = min(1, k / max(1, anneal_epochs))   (anneal_epochs = 0: t = 1 from k = 0)
       a = (1 - cos(pi t)) / 2   (anneal_linear: a = t),    lr = swa_lr a + eta0 (1 - a)
   PyTorch recovers eta0 from the current rate at each step, which equals this closed
   form to rounding when nothing else writes the rate. Its "epochs" are its step()
   calls; here they are whatever k counts (the trainer: optimizer steps). */
static double ofs__lr_swalr(const ofs_sched *s, double eta0, int64_t k)
{
    const int64_t e = s->anneal_epochs, step = e == 0 && k < 1 ? 1 : k;
    const double t = ofs__max(0, fmin(1, (double)step / (double)(e > 1 ? e : 1)));
    const double a = s->anneal_linear ? t : (1 - cos(M_PI * t)) / 2;
    return s->swa_lr * a + eta0 * (1 - a);
}

/* Warmup-stable-decay (WSD; MiniCPM, Hu et al. 2024; Hagele et al. 2024, arXiv
   2405.18392, "Scaling Laws and Compute-Optimal Training Beyond Fixed Training
   Durations", section 3): hold eta0, then cool down over the last D steps of a run of
   N = total_steps steps (after the warmup). The stable phase can be as long as one
   likes and a run can branch off into a cooldown at any point, so one long run gives
   checkpoints for several budgets, where a cosine must know its length from the start:
       D = decay_steps, or floor(decay_fraction N) when decay_steps = 0   (1 <= D <= N)
       k < N - D:  lr = eta0
       else:       p = min(1, (k - (N - D)) / D),   lr = eta_min + (eta0 - eta_min) f(p)
   with the cooldown shapes of Hagele et al. (their eq. for (1-sqrt), section 3.2, and
   their code's decay types):
       linear  f = 1 - p          cosine  f = (1 + cos(pi p)) / 2
       1-sqrt  f = 1 - sqrt(p)    1-square  f = 1 - p^2
   so lr(N) = eta_min and every later k stays there. The paper's floor is a factor of
   the peak (final_lr_factor, 0 in its runs); here eta_min is a rate, as cosine's. The
   floor makes the rate eta_min + (eta0 - eta_min) f rather than eta0 times a factor:
   WSD is not multiplicative (a chained schedule refuses it; sequential takes it). */
static double ofs__wsd_length(const ofs_sched *s)
{
    return s->decay_steps > 0 ? (double)s->decay_steps : floor(s->decay_fraction * (double)s->total_steps);
}

static double ofs__lr_wsd(const ofs_sched *s, double eta0, int64_t k)
{
    const double n = (double)s->total_steps, d = ofs__wsd_length(s), start = n - d;
    const double p = (double)k >= n ? 1.0 : ((double)k - start) / d;
    const int shape = s->wsd_shape;
    double f;
    if ((double)k < start) return eta0;
    f = shape == OFS_WSD_COSINE ? (1 + cos(M_PI * p)) / 2 : shape == OFS_WSD_SQRT ? 1 - sqrt(p)
      : shape == OFS_WSD_SQUARE ? 1 - p * p : 1 - p;
    return s->eta_min + (eta0 - s->eta_min) * f;
}

/* Composition, as PyTorch's SequentialLR and ChainedScheduler behave when nothing else
   writes the lr:
     sequential  lr(k) = child_i(k - m_i), i = #{milestones <= k}, m_0 = 0: every child
                 starts from the shared eta0 (not from where the previous one stopped);
     chained     lr(k) = eta0 prod_i child_i(k) / eta0: the product of the children's
                 factors, for multiplicative children (not cosine, restarts, onecycle,
                 factor, cyclic or swalr: PyTorch's chain of those is not a product).
                 A lambda child multiplies too (PyTorch's LambdaLR in a chain would
                 overwrite the rate instead). */
static double ofs__lr_sequential(const ofs_sched *s, double eta0, int64_t k)
{
    int i = ofs__count_le(s->milestones, s->n_milestones, k);
    return ofs__sched_eval(&s->children[i], eta0, i ? k - s->milestones[i - 1] : k);
}

static double ofs__lr_chained(const ofs_sched *s, double eta0, int64_t k)
{
    int i;
    double f = 1;
    for (i = 0; i < s->n_children; i++) f *= ofs__sched_eval(&s->children[i], 1.0, k);
    return eta0 * f;
}

/* The kinds that set a momentum (or beta1) too, k after the warmup: 1 and *m, or 0. */
static int ofs__m_onecycle(const ofs_sched *s, int64_t k, double *m)
{
    if (s->cycle_momentum) *m = ofs__onecycle(s, 0, k, 1);
    return s->cycle_momentum;
}

static int ofs__m_cyclic(const ofs_sched *s, int64_t k, double *m)
{
    if (s->cycle_momentum) *m = ofs__cyclic(s, s->base_momentum, s->max_momentum, k, 1);
    return s->cycle_momentum;
}

static int ofs__m_sequential(const ofs_sched *s, int64_t k, double *m)
{
    int i = ofs__count_le(s->milestones, s->n_milestones, k);
    return ofs_sched_momentum(&s->children[i], i ? k - s->milestones[i - 1] : k, m);
}

/* Validation, kind by kind: every setting a user can get wrong, with what was
   expected. A NaN fails every test below. */
#define OFS__REQUIRE(cond, ...) do { if (!(cond)) return ofs__fail(err, OFS_ERR_ARG, __VA_ARGS__); } while (0)
#define OFS__NEED(cond, field, range, v) \
    OFS__REQUIRE(cond, "%s: expected %s %s, found %.15g", ofs_sched_name(s->kind), field, range, (double)(v))

static ofs_status ofs__check_milestones(const ofs_sched *s, int strict, ofs_err *err)
{
    int i;
    OFS__NEED(s->n_milestones >= 0 && (s->n_milestones == 0 || s->milestones), "a milestones array, n_milestones", ">= 0",
              s->n_milestones);
    OFS__NEED(s->n_milestones == 0 || s->milestones[0] >= 0, "milestones", ">= 0", s->n_milestones ? s->milestones[0] : 0);
    for (i = 1; i < s->n_milestones; i++)
        OFS__REQUIRE(strict ? s->milestones[i] > s->milestones[i - 1] : s->milestones[i] >= s->milestones[i - 1],
                     "%s: expected milestones in %s order, found %lld after %lld (milestones[%d])", ofs_sched_name(s->kind),
                     strict ? "increasing" : "non-decreasing", (long long)s->milestones[i], (long long)s->milestones[i - 1], i);
    return ofs__ok(err);
}

static ofs_status ofs__check_none(const ofs_sched *s, ofs_err *err) { (void)s; return ofs__ok(err); }

static ofs_status ofs__check_factors(const ofs_sched *s, ofs_err *err)   /* constant_factor, linear */
{
    if (s->kind == OFS_SCHED_CONSTANT_FACTOR) OFS__NEED(s->factor > 0 && s->factor <= 1, "factor", "in (0, 1]", s->factor);
    else {
        OFS__NEED(s->start_factor >= 0 && s->start_factor <= 1, "start_factor", "in [0, 1]", s->start_factor);
        OFS__NEED(s->end_factor >= 0 && s->end_factor <= 1, "end_factor", "in [0, 1]", s->end_factor);
    }
    OFS__NEED(s->total_iters >= 1, "total_iters", ">= 1", s->total_iters);
    return ofs__ok(err);
}

static ofs_status ofs__check_decay(const ofs_sched *s, ofs_err *err)   /* step, multistep, exponential, factor */
{
    OFS__NEED(s->gamma > 0 && ofs__finite(s->gamma), "gamma", "> 0", s->gamma);
    OFS__NEED(s->kind != OFS_SCHED_STEP || s->step_size >= 1, "step_size", ">= 1", s->step_size);
    OFS__NEED(s->eta_min >= 0 && ofs__finite(s->eta_min), "eta_min", ">= 0", s->eta_min);
    return s->kind == OFS_SCHED_MULTISTEP ? ofs__check_milestones(s, 0, err) : ofs__ok(err);
}

static ofs_status ofs__check_power(const ofs_sched *s, ofs_err *err)   /* polynomial, inverse_power */
{
    OFS__NEED(s->power >= 0 && ofs__finite(s->power), "power", ">= 0", s->power);
    OFS__NEED(s->beta >= 0 && ofs__finite(s->beta), "beta", ">= 0", s->beta);
    OFS__NEED(s->kind != OFS_SCHED_POLYNOMIAL || s->total_iters >= 1, "total_iters", ">= 1", s->total_iters);
    return ofs__ok(err);
}

static ofs_status ofs__check_piecewise(const ofs_sched *s, ofs_err *err)
{
    int i;
    if (ofs__check_milestones(s, 1, err) != OFS_OK) return OFS_ERR_ARG;
    OFS__REQUIRE(s->values, "piecewise: expected n_milestones + 1 values, found NULL");
    for (i = 0; i <= s->n_milestones; i++) OFS__NEED(s->values[i] >= 0 && ofs__finite(s->values[i]), "values", ">= 0", s->values[i]);
    return ofs__ok(err);
}

static ofs_status ofs__check_cosine(const ofs_sched *s, ofs_err *err)   /* cosine, cosine_restarts */
{
    OFS__NEED(s->eta_min >= 0 && ofs__finite(s->eta_min), "eta_min", ">= 0", s->eta_min);
    OFS__NEED(s->kind != OFS_SCHED_COSINE || s->t_max >= 1, "t_max", ">= 1", s->t_max);
    OFS__NEED(s->kind != OFS_SCHED_COSINE_RESTARTS || s->t_0 >= 1, "t_0", ">= 1", s->t_0);
    OFS__NEED(s->kind != OFS_SCHED_COSINE_RESTARTS || s->t_mult >= 1, "t_mult", ">= 1", s->t_mult);
    return ofs__ok(err);
}

static ofs_status ofs__check_momenta(const ofs_sched *s, ofs_err *err)
{
    OFS__NEED(s->base_momentum >= 0 && s->base_momentum < 1, "base_momentum", "in [0, 1)", s->base_momentum);
    OFS__NEED(s->max_momentum >= 0 && s->max_momentum < 1, "max_momentum", "in [0, 1)", s->max_momentum);
    return ofs__ok(err);
}

static ofs_status ofs__check_onecycle(const ofs_sched *s, ofs_err *err)
{
    double end[3];
    int i, phases;
    OFS__NEED(s->total_steps >= 1, "total_steps", ">= 1", s->total_steps);
    OFS__NEED(s->pct_start >= 0 && s->pct_start <= 1, "pct_start", "in [0, 1]", s->pct_start);
    OFS__NEED(s->div_factor > 0 && ofs__finite(s->div_factor), "div_factor", "> 0", s->div_factor);
    OFS__NEED(s->final_div_factor > 0 && ofs__finite(s->final_div_factor), "final_div_factor", "> 0", s->final_div_factor);
    if (ofs__check_momenta(s, err) != OFS_OK) return OFS_ERR_ARG;
    phases = ofs__onecycle_ends(s, end);
    for (i = 0; i < phases; i++)   /* an empty phase would divide 0 by 0 */
        OFS__REQUIRE(end[i] > (i ? end[i - 1] : 0), "onecycle: phase %d has no length (it ends at step %g): "
                     "pct_start %g does not fit total_steps %lld", i + 1, end[i], s->pct_start, (long long)s->total_steps);
    return ofs__ok(err);
}

static ofs_status ofs__check_cyclic(const ofs_sched *s, ofs_err *err)
{
    OFS__NEED(s->max_lr >= 0 && ofs__finite(s->max_lr), "max_lr", ">= 0", s->max_lr);
    OFS__NEED(s->step_size_up >= 1 && s->step_size_up <= OFS_MAX_STEPS, "step_size_up", "in [1, 2^53]", s->step_size_up);
    OFS__NEED(s->step_size_down >= 0 && s->step_size_down <= OFS_MAX_STEPS, "step_size_down", "in [0, 2^53] (0: as step_size_up)",
              s->step_size_down);
    OFS__NEED(s->scale_fn || (s->cyclic_mode >= OFS_CYCLIC_TRIANGULAR && s->cyclic_mode <= OFS_CYCLIC_EXP_RANGE),
              "cyclic_mode", "0 (triangular), 1 (triangular2) or 2 (exp_range), or a scale_fn", s->cyclic_mode);
    OFS__NEED(s->gamma > 0 && ofs__finite(s->gamma), "gamma", "> 0", s->gamma);
    return ofs__check_momenta(s, err);
}

static ofs_status ofs__check_lambda(const ofs_sched *s, ofs_err *err)   /* lambda, multiplicative */
{
    OFS__REQUIRE(s->lr_lambda, "%s: expected a function lr_lambda, found NULL", ofs_sched_name(s->kind));
    return ofs__ok(err);
}

static ofs_status ofs__check_swalr(const ofs_sched *s, ofs_err *err)
{
    OFS__NEED(s->swa_lr >= 0 && ofs__finite(s->swa_lr), "swa_lr", ">= 0", s->swa_lr);
    OFS__NEED(s->anneal_epochs >= 0, "anneal_epochs", ">= 0", s->anneal_epochs);
    return ofs__ok(err);
}

static ofs_status ofs__check_wsd(const ofs_sched *s, ofs_err *err)
{
    const double d = ofs__wsd_length(s);
    OFS__NEED(s->total_steps >= 1 && s->total_steps <= OFS_MAX_STEPS, "total_steps (the run after warmup)", "in [1, 2^53]",
              s->total_steps);
    OFS__NEED(s->decay_steps >= 0 && s->decay_steps <= s->total_steps, "decay_steps", "in [0, total_steps] (0: by decay_fraction)",
              s->decay_steps);
    OFS__NEED(s->decay_steps > 0 || (s->decay_fraction > 0 && s->decay_fraction <= 1), "decay_fraction", "in (0, 1]",
              s->decay_fraction);
    OFS__REQUIRE(d >= 1, "wsd: the cooldown has no step: decay_fraction %g of total_steps %lld is less than one step",
                 s->decay_fraction, (long long)s->total_steps);
    OFS__NEED(s->wsd_shape >= 0 && s->wsd_shape < OFS_WSD_SHAPES, "wsd_shape",
              "0 (linear), 1 (cosine), 2 (1-sqrt) or 3 (1-square)", s->wsd_shape);
    OFS__NEED(s->eta_min >= 0 && s->eta_min <= s->base_lr, "eta_min", "in [0, base_lr] (a floor at most the peak)", s->eta_min);
    return ofs__ok(err);
}

static ofs_status ofs__check_nested(const ofs_sched *s, ofs_err *err)   /* sequential, chained */
{
    OFS__NEED(s->n_children >= 1 && s->children, "a children array, n_children", ">= 1", s->n_children);
    if (s->kind == OFS_SCHED_CHAINED) return ofs__ok(err);
    OFS__NEED(s->n_milestones == s->n_children - 1, "n_milestones", "= n_children - 1", s->n_milestones);
    return ofs__check_milestones(s, 1, err);
}

/* Defaults that differ from ofs_sched_defaults' common ones. */
static void ofs__def_none(ofs_sched *s) { (void)s; }
static void ofs__def_exponential(ofs_sched *s) { s->gamma = 0; }                    /* required, as in PyTorch */
static void ofs__def_factor(ofs_sched *s) { s->gamma = 1; s->eta_min = 1e-7; }      /* D2L's FactorScheduler */
static void ofs__def_inverse_power(ofs_sched *s) { s->beta = 0.1; s->power = 0.5; } /* D2L: (1 + 0.1 t)^-1/2 */
static void ofs__def_cyclic(ofs_sched *s) { s->gamma = 1; s->step_size_up = 2000; s->base_momentum = 0.8; s->max_momentum = 0.9; }
static void ofs__def_wsd(ofs_sched *s) { s->decay_fraction = 0.2; s->wsd_shape = OFS_WSD_SQRT; }   /* Hagele et al.'s choice */

/* One row per kind: its name; whether it only multiplies eta0 by a factor of k (what
   a chained schedule's children must do); its rate, its momentum (NULL: none), its
   checks and its own defaults; and the field that ofs_sched_set_run fits to a run. */
typedef struct ofs__sched_row {
    const char *name;
    int multiplicative;
    double (*lr)(const ofs_sched *s, double eta0, int64_t k);
    int (*momentum)(const ofs_sched *s, int64_t k, double *m);
    ofs_status (*check)(const ofs_sched *s, ofs_err *err);
    void (*defaults)(ofs_sched *s);
    size_t run_field;   /* offsetof an int64_t field, or 0: none */
} ofs__sched_row;

#define OFS__RUN(f) offsetof(ofs_sched, f)
static const ofs__sched_row ofs__sched_kinds[OFS_SCHED_COUNT] = {
    {"constant",        1, ofs__lr_constant,        NULL, ofs__check_none,      ofs__def_none,          0},
    {"constant_factor", 1, ofs__lr_constant_factor, NULL, ofs__check_factors,   ofs__def_none,          0},
    {"linear",          1, ofs__lr_linear,          NULL, ofs__check_factors,   ofs__def_none,          OFS__RUN(total_iters)},
    {"step",            1, ofs__lr_step,            NULL, ofs__check_decay,     ofs__def_none,          0},
    {"multistep",       1, ofs__lr_multistep,       NULL, ofs__check_decay,     ofs__def_none,          0},
    {"exponential",     1, ofs__lr_exponential,     NULL, ofs__check_decay,     ofs__def_exponential,   0},
    {"factor",          0, ofs__lr_factor,          NULL, ofs__check_decay,     ofs__def_factor,        0},
    {"polynomial",      1, ofs__lr_polynomial,      NULL, ofs__check_power,     ofs__def_none,          OFS__RUN(total_iters)},
    {"inverse_power",   1, ofs__lr_inverse_power,   NULL, ofs__check_power,     ofs__def_inverse_power, 0},
    {"sqrt",            1, ofs__lr_sqrt,            NULL, ofs__check_none,      ofs__def_none,          0},
    {"piecewise",       1, ofs__lr_piecewise,       NULL, ofs__check_piecewise, ofs__def_none,          0},
    {"cosine",          0, ofs__lr_cosine,          NULL, ofs__check_cosine,    ofs__def_none,          OFS__RUN(t_max)},
    {"cosine_restarts", 0, ofs__lr_restarts,        NULL, ofs__check_cosine,    ofs__def_none,          0},
    {"onecycle",        0, ofs__lr_onecycle, ofs__m_onecycle, ofs__check_onecycle, ofs__def_none,       OFS__RUN(total_steps)},
    {"sequential",      0, ofs__lr_sequential, ofs__m_sequential, ofs__check_nested, ofs__def_none,     0},
    {"chained",         1, ofs__lr_chained,         NULL, ofs__check_nested,    ofs__def_none,          0},
    {"cyclic",          0, ofs__lr_cyclic,   ofs__m_cyclic, ofs__check_cyclic,  ofs__def_cyclic,        0},
    {"lambda",          1, ofs__lr_lambda,          NULL, ofs__check_lambda,    ofs__def_none,          0},
    {"multiplicative",  1, ofs__lr_multiplicative,  NULL, ofs__check_lambda,    ofs__def_none,          0},
    {"swalr",           0, ofs__lr_swalr,           NULL, ofs__check_swalr,     ofs__def_none,          0},
    {"wsd",             0, ofs__lr_wsd,             NULL, ofs__check_wsd,       ofs__def_wsd,           OFS__RUN(total_steps)}
};
#undef OFS__RUN

static const ofs__sched_row *ofs__sched_row_of(ofs_sched_kind k) { return &ofs__sched_kinds[(unsigned)k < OFS_SCHED_COUNT ? k : 0]; }

static double ofs__sched_eval(const ofs_sched *s, double eta0, int64_t k)
{
    if (k < s->warmup_steps) return ofs__linear_lr(eta0, s->warmup_start, 1.0, s->warmup_steps, k);
    return ofs__sched_row_of(s->kind)->lr(s, eta0, k - s->warmup_steps);
}

OFSDEF double ofs_sched_lr(const ofs_sched *s, int64_t k)
{
    OFS_ASSERT(s && k >= 0);
    return ofs__sched_eval(s, s->base_lr, k);
}

OFSDEF int ofs_sched_momentum(const ofs_sched *s, int64_t k, double *momentum)
{
    const ofs__sched_row *row;
    OFS_ASSERT(s && k >= 0 && momentum);
    row = ofs__sched_row_of(s->kind);
    return k >= s->warmup_steps && row->momentum && row->momentum(s, k - s->warmup_steps, momentum);
}

/* Where PyTorch's OneCycleLR writes the cycled momentum: 'momentum' for SGD and
   RMSprop, betas[0] for the Adam family (here also Lion, Yogi, LAMB, AdaBelief). */
/* What a cycling schedule moves in each optimizer: its row of chapter 14's table. */
enum { OFS__CYC_NONE, OFS__CYC_MOMENTUM, OFS__CYC_BETA1 };
static int ofs__cycles(ofs_optim_kind kind);

OFSDEF ofs_status ofs_sched_apply(const ofs_sched *s, int64_t k, ofs_optim_config *cfg, ofs_err *err)
{
    double m, lr;
    ofs_status st = ofs_sched_validate(s, err);
    if (st != OFS_OK) return st;
    if (k < 0) return ofs__fail(err, OFS_ERR_ARG, "%s: expected a step k >= 0, found %lld", ofs_sched_name(s->kind), (long long)k);
    lr = ofs_sched_lr(s, k);
    if (!(lr >= 0 && ofs__finite(lr)))
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: expected a rate >= 0 at step %lld, found %g (from its lr_lambda or scale_fn?); "
                         "the optimizer's settings were left unchanged", ofs_sched_name(s->kind), (long long)k, lr);
    if (!ofs_sched_momentum(s, k, &m)) { cfg->lr = lr; return ofs__ok(err); }
    if (!(m >= 0 && m < 1))
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: expected a momentum in [0, 1) at step %lld, found %g (from its scale_fn?)",
                         ofs_sched_name(s->kind), (long long)k, m);
    if (ofs__cycles(cfg->kind) == OFS__CYC_MOMENTUM) cfg->momentum = m;
    else if (ofs__cycles(cfg->kind) == OFS__CYC_BETA1) cfg->beta1 = m;
    else return ofs__fail(err, OFS_ERR_ARG, "%s: cycle_momentum needs an optimizer with momentum or beta1, found %s; "
                          "set cycle_momentum = 0", ofs_sched_name(s->kind), ofs_optim_name(cfg->kind));
    cfg->lr = lr;
    return ofs__ok(err);
}

OFSDEF const char *ofs_sched_name(ofs_sched_kind kind)
{
    return (unsigned)kind < OFS_SCHED_COUNT ? ofs__sched_kinds[kind].name : "unknown";
}

OFSDEF ofs_status ofs_sched_kind_from_name(const char *name, ofs_sched_kind *kind, ofs_err *err)
{
    char list[512] = "";
    int k;
    for (k = 0; name && k < OFS_SCHED_COUNT; k++)
        if (strcmp(name, ofs__sched_kinds[k].name) == 0) { *kind = (ofs_sched_kind)k; return ofs__ok(err); }
    for (k = 0; k < OFS_SCHED_COUNT; k++) {
        strcat(list, k ? ", " : "");
        strcat(list, ofs__sched_kinds[k].name);
    }
    return ofs__fail(err, OFS_ERR_ARG, "unknown schedule \"%s\": expected one of %s", name ? name : "(null)", list);
}

OFSDEF ofs_sched ofs_sched_defaults(ofs_sched_kind kind, double base_lr)
{
    ofs_sched s;
    memset(&s, 0, sizeof s);
    s.kind = kind; s.base_lr = base_lr;
    s.gamma = 0.1; s.factor = 1.0 / 3; s.start_factor = 1.0 / 3; s.end_factor = 1; s.total_iters = 5;
    s.power = 1; s.t_mult = 1; s.pct_start = 0.3; s.div_factor = 25; s.final_div_factor = 1e4;
    s.base_momentum = 0.85; s.max_momentum = 0.95; s.cycle_momentum = 1; s.anneal_epochs = 10;
    ofs__sched_row_of(kind)->defaults(&s);
    return s;
}

#define OFS__SCHED_REALS(X) X(base_lr) X(gamma) X(factor) X(start_factor) X(end_factor) X(power) X(beta) \
    X(eta_min) X(pct_start) X(div_factor) X(final_div_factor) X(base_momentum) X(max_momentum) X(warmup_start) \
    X(max_lr) X(swa_lr) X(decay_fraction)
#define OFS__SCHED_STEPS(X) X(step_size) X(total_iters) X(t_max) X(t_0) X(t_mult) X(total_steps) X(warmup_steps) \
    X(step_size_up) X(step_size_down) X(anneal_epochs) X(decay_steps)
#define OFS__SCHED_FLAGS(X) X(hold) X(three_phase) X(anneal_linear) X(cycle_momentum) X(scale_iterations)

OFSDEF ofs_status ofs_sched_set(ofs_sched *s, const char *key, double value, ofs_err *err)
{
#define OFS__SET_REAL(f) if (strcmp(key, #f) == 0) { s->f = value; return ofs__ok(err); }
#define OFS__SET_STEPS(f) if (strcmp(key, #f) == 0) { s->f = (int64_t)value; return ofs__ok(err); }
#define OFS__SET_FLAG(f) if (strcmp(key, #f) == 0) { \
        if (value != 0 && value != 1) return ofs__fail(err, OFS_ERR_ARG, "%s: expected 0 or 1, found %g", key, value); \
        s->f = (int)value; return ofs__ok(err); }
    OFS__SCHED_REALS(OFS__SET_REAL)
    OFS__SCHED_FLAGS(OFS__SET_FLAG)
    if (strcmp(key, "cyclic_mode") == 0) {
        if (!(value == 0 || value == 1 || value == 2))
            return ofs__fail(err, OFS_ERR_ARG, "cyclic_mode: expected 0 (triangular), 1 (triangular2) or 2 (exp_range), found %g", value);
        s->cyclic_mode = (int)value;
        return ofs__ok(err);
    }
    if (strcmp(key, "wsd_shape") == 0) {
        if (!(value == 0 || value == 1 || value == 2 || value == 3))
            return ofs__fail(err, OFS_ERR_ARG, "wsd_shape: expected 0 (linear), 1 (cosine), 2 (1-sqrt) or 3 (1-square), found %g", value);
        s->wsd_shape = (int)value;
        return ofs__ok(err);
    }
    if (!(value == floor(value) && fabs(value) < 9e18))
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected a whole number of steps, found %g", key, value);
    OFS__SCHED_STEPS(OFS__SET_STEPS)
#undef OFS__SET_REAL
#undef OFS__SET_STEPS
#undef OFS__SET_FLAG
    return ofs__fail(err, OFS_ERR_ARG, "unknown schedule setting \"%s\"", key);
}

static ofs_status ofs__sched_check(const ofs_sched *s, int depth, ofs_err *err)
{
    ofs_status st;
    int i, nest = s->kind == OFS_SCHED_SEQUENTIAL || s->kind == OFS_SCHED_CHAINED;
    if ((unsigned)s->kind >= OFS_SCHED_COUNT)
        return ofs__fail(err, OFS_ERR_ARG, "schedule kind %d: expected 0 to %d", (int)s->kind, OFS_SCHED_COUNT - 1);
    OFS__REQUIRE(depth <= 8, "%s: schedules nested more than 8 deep (does a child contain its parent?)", ofs_sched_name(s->kind));
    OFS__NEED(s->warmup_steps >= 0, "warmup_steps", ">= 0", s->warmup_steps);
    OFS__NEED(s->warmup_start >= 0 && s->warmup_start <= 1, "warmup_start", "in [0, 1]", s->warmup_start);
    if ((st = ofs__sched_kinds[s->kind].check(s, err)) != OFS_OK) return st;
    for (i = 0; nest && i < s->n_children; i++) {
        OFS__REQUIRE(s->kind == OFS_SCHED_SEQUENTIAL || ofs__sched_row_of(s->children[i].kind)->multiplicative,
                     "chained: expected multiplicative children, found %s as child %d (make it a sequential phase)",
                     ofs_sched_name(s->children[i].kind), i);
        if ((st = ofs__sched_check(&s->children[i], depth + 1, err)) != OFS_OK) return st;
    }
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_sched_validate(const ofs_sched *s, ofs_err *err)
{
    OFS_ASSERT(s);
    OFS__NEED(s->base_lr >= 0 && ofs__finite(s->base_lr), "base_lr", ">= 0", s->base_lr);
    return ofs__sched_check(s, 0, err);
}

OFSDEF ofs_status ofs_sched_set_run(ofs_sched *s, int64_t total_steps, ofs_err *err)
{
    int64_t rest;
    size_t f;
    OFS__NEED(total_steps >= 1, "a run of total_steps", ">= 1", total_steps);
    OFS__NEED(s->warmup_steps >= 0, "warmup_steps", ">= 0", s->warmup_steps);
    rest = total_steps - s->warmup_steps;
    OFS__REQUIRE(rest >= 1, "%s: expected a warmup shorter than the run, found warmup_steps %lld and a run of %lld steps",
                 ofs_sched_name(s->kind), (long long)s->warmup_steps, (long long)total_steps);
    if ((f = ofs__sched_row_of(s->kind)->run_field) != 0) memcpy((char *)s + f, &rest, sizeof rest);
    return ofs_sched_validate(s, err);
}

/* ReduceLROnPlateau, PyTorch's state machine. Before the first step best is the worst
   value (+inf for 'min', -inf for 'max'). Each step:
       better = min/rel: a < best (1 - threshold)     min/abs: a < best - threshold
                max/rel: a > best (1 + threshold)     max/abs: a > best + threshold
       if better: best = a, bad = 0; else bad += 1     (a NaN metric is never better)
       if cooldown_counter > 0: cooldown_counter -= 1, bad = 0
       if bad > patience:  new = max(lr factor, min_lr); if lr - new > eps: lr = new
                           cooldown_counter = cooldown, bad = 0
   so the lr falls on the (patience + 1)-th bad evaluation in a row.               */
OFSDEF ofs_plateau ofs_plateau_defaults(void)
{
    ofs_plateau p;
    memset(&p, 0, sizeof p);
    p.factor = 0.1; p.patience = 10; p.threshold = 1e-4; p.eps = 1e-8;
    return p;
}

OFSDEF ofs_status ofs_plateau_validate(const ofs_plateau *p, ofs_err *err)
{
    OFS__REQUIRE(p->factor > 0 && p->factor < 1, "plateau: expected factor in (0, 1), found %g", p->factor);
    OFS__REQUIRE((p->mode_max == 0 || p->mode_max == 1) && (p->threshold_abs == 0 || p->threshold_abs == 1),
                 "plateau: expected mode_max and threshold_abs 0 or 1, found %d and %d", p->mode_max, p->threshold_abs);
    OFS__REQUIRE(p->threshold >= 0 && ofs__finite(p->threshold), "plateau: expected threshold >= 0, found %g", p->threshold);
    OFS__REQUIRE(p->min_lr >= 0 && p->eps >= 0 && ofs__finite(p->min_lr) && ofs__finite(p->eps),
                 "plateau: expected min_lr >= 0 and eps >= 0, found %g and %g", p->min_lr, p->eps);
    OFS__REQUIRE(p->patience >= 0 && p->cooldown >= 0 && p->patience <= OFS_MAX_STEPS && p->cooldown <= OFS_MAX_STEPS,
                 "plateau: expected patience and cooldown in [0, 2^53], found %lld and %lld",
                 (long long)p->patience, (long long)p->cooldown);
    return ofs__ok(err);
}

static int ofs__plateau_better(const ofs_plateau *p, double a)
{
    double best = p->best, t = p->threshold;
    if (!p->mode_max) return p->threshold_abs ? a < best - t : a < best * (1.0 - t);
    return p->threshold_abs ? a > best + t : a > best * (t + 1.0);
}

OFSDEF ofs_status ofs_plateau_step(ofs_plateau *p, double metric, double *lr, ofs_err *err)
{
    ofs_status st = ofs_plateau_validate(p, err);
    if (st != OFS_OK) return st;
    if (p->last_epoch < 0 || p->last_epoch >= OFS_MAX_STEPS || p->bad_epochs < 0 || p->bad_epochs > p->patience)
        return ofs__fail(err, OFS_ERR_ARG, "plateau: expected last_epoch in [0, 2^53) and bad_epochs in [0, patience], "
                         "found %lld and %lld", (long long)p->last_epoch, (long long)p->bad_epochs);
    if (p->last_epoch++ == 0) p->best = p->mode_max ? -HUGE_VAL : HUGE_VAL;
    if (ofs__plateau_better(p, metric)) { p->best = metric; p->bad_epochs = 0; }
    else p->bad_epochs++;
    if (p->cooldown_counter > 0) { p->cooldown_counter--; p->bad_epochs = 0; }
    if (p->bad_epochs > p->patience) {
        double lower = *lr * p->factor, next = p->min_lr > lower ? p->min_lr : lower;
        if (*lr - next > p->eps) *lr = next;
        p->cooldown_counter = p->cooldown;
        p->bad_epochs = 0;
    }
    return ofs__ok(err);
}

/* Saved: a tag, the settings, the state; a resumed run continues bit for bit. */
#define OFS__PLATEAU_TAG 0x31544c50u   /* "PLT1" */
OFSDEF void ofs_plateau_save(const ofs_plateau *p, ofs_buf *b)
{
    ofs_put_u64(b, OFS__PLATEAU_TAG);
    ofs_put_u64(b, (uint64_t)p->mode_max); ofs_put_u64(b, (uint64_t)p->threshold_abs);
    ofs_put_f64(b, p->factor); ofs_put_f64(b, p->threshold); ofs_put_f64(b, p->min_lr); ofs_put_f64(b, p->eps);
    ofs_put_u64(b, (uint64_t)p->patience); ofs_put_u64(b, (uint64_t)p->cooldown);
    ofs_put_f64(b, p->best);
    ofs_put_u64(b, (uint64_t)p->bad_epochs); ofs_put_u64(b, (uint64_t)p->cooldown_counter); ofs_put_u64(b, (uint64_t)p->last_epoch);
}

/* A loaded state must be one that ofs_plateau_step can reach: valid settings; the
   evaluations counted, last_epoch, in [0, OFS_MAX_STEPS]; bad_epochs in [0, patience]
   and cooldown_counter in [0, cooldown] (each is reset as it passes its bound), so
   that no later step can overflow them; and, after the first evaluation, a best
   value that is not NaN (a NaN metric is never better, so it never becomes best). */
OFSDEF ofs_status ofs_plateau_load(ofs_plateau *p, ofs_reader *r, ofs_err *err)
{
    ofs_plateau q;
    uint64_t tag = ofs_get_u64(r), mode = ofs_get_u64(r), thr = ofs_get_u64(r);
    if (!r->failed && tag != OFS__PLATEAU_TAG)
        return ofs__fail(err, OFS_ERR_FORMAT, "plateau state: expected the tag %08lx, found %08llx",
                         (unsigned long)OFS__PLATEAU_TAG, (unsigned long long)tag);
    q.mode_max = mode > 1 ? -1 : (int)mode; q.threshold_abs = thr > 1 ? -1 : (int)thr;
    q.factor = ofs_get_f64(r); q.threshold = ofs_get_f64(r); q.min_lr = ofs_get_f64(r); q.eps = ofs_get_f64(r);
    q.patience = (int64_t)ofs_get_u64(r); q.cooldown = (int64_t)ofs_get_u64(r);
    q.best = ofs_get_f64(r);
    q.bad_epochs = (int64_t)ofs_get_u64(r); q.cooldown_counter = (int64_t)ofs_get_u64(r); q.last_epoch = (int64_t)ofs_get_u64(r);
    if (r->failed) return ofs__fail(err, OFS_ERR_FORMAT, "plateau state: truncated");
    if (ofs_plateau_validate(&q, err) != OFS_OK) return ofs__wrap(err, OFS_ERR_FORMAT, "plateau state");
    if (q.last_epoch < 0 || q.last_epoch > OFS_MAX_STEPS)
        return ofs__fail(err, OFS_ERR_FORMAT, "plateau state: expected last_epoch in [0, 2^53], found %lld", (long long)q.last_epoch);
    if (q.bad_epochs < 0 || q.bad_epochs > q.patience)
        return ofs__fail(err, OFS_ERR_FORMAT, "plateau state: expected bad_epochs in [0, patience = %lld], found %lld",
                         (long long)q.patience, (long long)q.bad_epochs);
    if (q.cooldown_counter < 0 || q.cooldown_counter > q.cooldown)
        return ofs__fail(err, OFS_ERR_FORMAT, "plateau state: expected cooldown_counter in [0, cooldown = %lld], found %lld",
                         (long long)q.cooldown, (long long)q.cooldown_counter);
    if (q.last_epoch > 0 && q.best != q.best)
        return ofs__fail(err, OFS_ERR_FORMAT, "plateau state: expected a best metric after %lld evaluations, found NaN",
                         (long long)q.last_epoch);
    *p = q;
    return ofs__ok(err);
}
#undef OFS__REQUIRE
#undef OFS__NEED

/* The trainer's (chapter 15) schedule hook, for any of this chapter's schedules. */
OFSDEF ofs_status ofs_sched_callback(int64_t step, ofs_optim_config *cfg, void *sched, ofs_err *err)
{
    return ofs_sched_apply((const ofs_sched *)sched, step, cfg, err);
}

/* ==== Chapter 13: Gradient checking =============================================== */
/* Backpropagation is easy to get subtly wrong: a missing transpose, a forgotten
   1/batch, a += that should be =. A gradient check compares the analytic gradient
   a = grad f(x) with a numerical one, coordinate by coordinate:

       n_i = (f(x + h e_i) - f(x - h e_i)) / (2h)          central difference

   By Taylor's theorem n_i = a_i + h^2 f'''/6 + O(h^4): the truncation error falls
   as h^2. But f is computed with rounding errors of about eps |f| (eps = 2^-52 in
   double), and dividing their difference by 2h makes them eps |f| / h. The total
   error, about h^2 |f'''|/6 + eps |f|/h, is V-shaped in log-log axes, smallest
   near h = (3 eps |f/f'''|)^(1/3), about 1e-5 for f of order 1. The one-sided
   difference (f(x+h) - f(x))/h has an O(h) truncation error and does worse.

   The comparison is relative, with a floor for entries that are (nearly) zero:

       rel_i = |a_i - n_i| / max(|a_i|, |n_i|, floor)

   In double, a correct gradient gives rel errors of 1e-8 to 1e-11; a wrong one
   gives 1e-2 or more. In float the numbers are meaningless: always check in double
   (compile with OFS_REAL = double when checking the MLP). Kinks (ReLU at 0) give
   large errors when x +- h straddles one: use points away from them.              */

OFSDEF double ofs_fd_partial(ofs_objective f, void *ctx, double *x, size_t i, double h)
{
    double xi = x[i], fp, fm;
    x[i] = xi + h; fp = f(x, NULL, ctx);
    x[i] = xi - h; fm = f(x, NULL, ctx);
    x[i] = xi;
    return (fp - fm) / (2 * h);
}

OFSDEF ofs_status ofs_gradcheck(ofs_objective f, void *ctx, double *x, size_t n, double h, double rel_floor,
                                double *grad, ofs_gradcheck_result *res, ofs_err *err)
{
    size_t i;
    OFS_ASSERT(f && x && grad && res);
    memset(res, 0, sizeof *res);
    if (!(h > 0) || !ofs__finite(h) || !(rel_floor >= 0))
        return ofs__fail(err, OFS_ERR_ARG, "gradcheck: expected a step h > 0 and a floor >= 0, found h = %g, floor = %g", h, rel_floor);
    res->f = f(x, grad, ctx);
    if (!ofs__finite(res->f)) return ofs__fail(err, OFS_ERR_NONFINITE, "gradcheck: f(x) = %g", res->f);
    for (i = 0; i < n; i++) {
        double a = grad[i], num = ofs_fd_partial(f, ctx, x, i, h), den, rel;
        if (!ofs__finite(a) || !ofs__finite(num))
            return ofs__fail(err, OFS_ERR_NONFINITE, "gradcheck: coordinate %lu: analytic %g, numeric %g",
                             (unsigned long)i, a, num);
        den = ofs__max(ofs__max(fabs(a), fabs(num)), rel_floor);
        rel = den > 0 ? fabs(a - num) / den : 0.0;      /* 0: both exactly 0, no floor */
        if (rel > res->max_rel_err || i == 0) {
            res->max_rel_err = rel; res->worst = i; res->analytic = a; res->numeric = num;
        }
    }
    return ofs__ok(err);
}

OFSDEF double ofs_toy_objective(const double *x, double *grad, void *toy)
{
    return ofs_toy_eval((const ofs_toy *)toy, x, grad, NULL);
}

/* Chapter 15's MLP as an objective, for the checker: theta is copied into the
   parameters (converted to ofs_real: use OFS_REAL double for a meaningful check),
   then loss and gradient. */
OFSDEF double ofs_mlp_objective(const double *theta, double *grad, void *batch)
{
    ofs_mlp_batch *b = (ofs_mlp_batch *)batch;
    ofs_mlp *m = b->mlp;
    size_t i;
    double loss;
    for (i = 0; i < m->nparams; i++) m->params[i] = (ofs_real)theta[i];
    if (!grad) {
        ofs_mat Z = ofs_mat_view((ofs_real *)ofs_mlp_forward(m, b->x, b->batch), b->batch, m->sizes[m->nlayers]);
        return ofs_softmax_xent(Z, b->y, NULL);
    }
    ofs_mlp_zero_grad(m);
    loss = ofs_mlp_loss_grad(m, b->x, b->y, b->batch, NULL);
    for (i = 0; i < m->nparams; i++) grad[i] = (double)m->grads[i];
    return loss;
}

/* ==== Chapter 14: Choosing an optimizer by name ==================================== */
/* One table row per algorithm says everything the library needs to know of it: its
   name and update; how many moment arrays it needs (given its flags) and how they
   start; whether its update is element-wise (then any slice of a step, on any
   thread, gives the bits of the whole; LAMB's trust ratio needs the whole group);
   which field a cycling schedule moves (chapter 12); which configuration fields it
   reads; the upper bound of its lr; and PyTorch's defaults (optax's for Lion, Yogi,
   LAMB and AdaBelief, the authors' code's for ADOPT, which PyTorch 1.13 does not have). Adding an algorithm is its
   update and its row. A training loop can then switch algorithm with one string:
   ofs_optim_kind_from_name("adamw", &k, err).                                       */

/* The configuration's fields by name, for command lines and reference files, and a
   bit for each: OFS__READS(beta1) stands for "reads beta1". */
#define OFS__FIELDS(X) X(lr) X(weight_decay) X(momentum) X(dampening) X(alpha) X(rho) X(beta1) X(beta2) \
    X(eps) X(eps_root) X(lr_decay) X(initial_accumulator_value) X(momentum_decay) \
    X(etaminus) X(etaplus) X(step_size_min) X(step_size_max) X(lambd) X(t0) \
    X(warmup_steps) X(r) X(weight_lr_power) X(ns_steps) X(beta2_decay) X(eps1) X(eps2) X(d)
#define OFS__FLAGS(X) X(nesterov) X(maximize) X(amsgrad) X(centered) X(decoupled_weight_decay) \
    X(eps_inside_sqrt) X(ema_momentum) X(match_rms_adamw)
enum {
#define OFS__BIT(f) OFS__B_##f,
    OFS__FIELDS(OFS__BIT) OFS__FLAGS(OFS__BIT)
#undef OFS__BIT
    OFS__NFIELDS
};
#define OFS__READS(f) (1ull << OFS__B_##f)
#define OFS__R_ALL (OFS__READS(lr) | OFS__READS(weight_decay) | OFS__READS(maximize))        /* every algorithm */
#define OFS__R_ADAM (OFS__R_ALL | OFS__READS(beta1) | OFS__READS(beta2) | OFS__READS(eps))   /* the Adam family */
#define OFS__R_ROOT (OFS__R_ADAM | OFS__READS(eps_root))
#define OFS__R_SGD (OFS__R_ALL | OFS__READS(momentum) | OFS__READS(dampening) | OFS__READS(nesterov) | OFS__READS(ema_momentum))
#define OFS__R_ADAGRAD (OFS__R_ALL | OFS__READS(eps) | OFS__READS(lr_decay) | OFS__READS(initial_accumulator_value) | \
                        OFS__READS(eps_inside_sqrt))
#define OFS__R_RPROP (OFS__READS(lr) | OFS__READS(maximize) | OFS__READS(etaminus) | OFS__READS(etaplus) | \
                      OFS__READS(step_size_min) | OFS__READS(step_size_max))
#define OFS__R_ASGD (OFS__R_ALL | OFS__READS(alpha) | OFS__READS(lambd) | OFS__READS(t0))
#define OFS__R_SF (OFS__R_ALL | OFS__READS(beta1) | OFS__READS(warmup_steps) | OFS__READS(r) | OFS__READS(weight_lr_power))
#define OFS__R_MUON (OFS__R_ALL | OFS__READS(momentum) | OFS__READS(nesterov) | OFS__READS(eps) | OFS__READS(ns_steps) | \
                     OFS__READS(match_rms_adamw))
#define OFS__R_ADAFACTOR (OFS__R_ALL | OFS__READS(beta2_decay) | OFS__READS(eps1) | OFS__READS(eps2) | OFS__READS(d))
#define OFS__R_RMSPROP (OFS__R_ALL | OFS__READS(eps) | OFS__READS(momentum) | OFS__READS(alpha) | OFS__READS(centered) | \
                        OFS__READS(eps_inside_sqrt))

/* How the moment arrays start: all at 0, or the first (or all) at
   initial_accumulator_value. */
enum { OFS__INIT_ZERO, OFS__INIT_FIRST, OFS__INIT_ALL };

typedef struct ofs__algo {
    const char *name;
    void (*step)(ofs_optim *o, ofs_real *p, const ofs_real *g);
    int (*nstate)(const ofs_optim_config *c);   /* moment arrays; NULL: nfixed of them */
    int nfixed, init, elementwise, cycles;
    unsigned squares;                           /* bit k: s[k] holds squares (>= 0) */
    unsigned long long reads;
    double lr, beta1, beta2, eps, weight_decay, eps_root, initial_accumulator_value, alpha;   /* the defaults */
    double lr_max;                              /* lr's upper bound */
    int averaged;                               /* s[k] that holds an average of theta, or -1 */
    double momentum;                            /* momentum's default */
    int nesterov, shape;                        /* nesterov's default; ofs_optim_wants_shape */
} ofs__algo;

static int ofs__sgd_nstate(const ofs_optim_config *c) { return c->momentum != 0 || c->ema_momentum; }
static int ofs__rmsprop_nstate(const ofs_optim_config *c) { return c->centered ? 3 : 1 + (c->momentum > 0); }
static int ofs__adam_nstate(const ofs_optim_config *c) { return c->amsgrad ? 3 : 2; }

#define OFS__ZERO OFS__INIT_ZERO
#define OFS__MOM OFS__CYC_MOMENTUM
#define OFS__B1 OFS__CYC_BETA1
static const ofs__algo ofs__algos[OFS_OPTIM_COUNT] = {
/*   name         update               nstate         n  init            elem cycles  squares reads
         lr     beta1 beta2  eps    weight_decay eps_root initial_accumulator_value alpha lr_max averaged momentum nesterov shape */
    {"sgd",       ofs__sgd_step,       ofs__sgd_nstate,     0, OFS__ZERO,       1, OFS__MOM, 0u, OFS__R_SGD,
         1e-3,  0,    0,     0,     0, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"adagrad",   ofs__adagrad_step,   NULL,                1, OFS__INIT_FIRST, 1, OFS__CYC_NONE, 1u, OFS__R_ADAGRAD,
         1e-2,  0,    0,     1e-10, 0, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"rmsprop",   ofs__rmsprop_step,   ofs__rmsprop_nstate, 0, OFS__ZERO,       1, OFS__MOM, 1u, OFS__R_RMSPROP,
         1e-2,  0,    0,     1e-8,  0, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"adadelta",  ofs__adadelta_step,  NULL,                2, OFS__ZERO,       1, OFS__CYC_NONE, 3u, OFS__R_ALL | OFS__READS(rho) | OFS__READS(eps),
         1.0,   0,    0,     1e-6,  0, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"adam",      ofs__adam_step,      ofs__adam_nstate,    0, OFS__ZERO,       1, OFS__B1, 6u, OFS__R_ADAM | OFS__READS(amsgrad) | OFS__READS(decoupled_weight_decay),
         1e-3,  0.9,  0.999, 1e-8,  0, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"adamw",     ofs__adam_step,      ofs__adam_nstate,    0, OFS__ZERO,       1, OFS__B1, 6u, OFS__R_ADAM | OFS__READS(amsgrad),
         1e-3,  0.9,  0.999, 1e-8,  1e-2, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"adamax",    ofs__adamax_step,    NULL,                2, OFS__ZERO,       1, OFS__B1, 6u, OFS__R_ADAM,
         2e-3,  0.9,  0.999, 1e-8,  0, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"nadam",     ofs__nadam_step,     NULL,                2, OFS__ZERO,       1, OFS__B1, 6u, OFS__R_ADAM | OFS__READS(momentum_decay) | OFS__READS(decoupled_weight_decay),
         2e-3,  0.9,  0.999, 1e-8,  0, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"radam",     ofs__radam_step,     NULL,                2, OFS__ZERO,       1, OFS__B1, 6u, OFS__R_ADAM | OFS__READS(decoupled_weight_decay),
         1e-3,  0.9,  0.999, 1e-8,  0, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"lion",      ofs__lion_step,      NULL,                1, OFS__ZERO,       1, OFS__B1, 0u, OFS__R_ALL | OFS__READS(beta1) | OFS__READS(beta2),
         1e-4,  0.9,  0.99,  0,     1e-3, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"yogi",      ofs__yogi_step,      NULL,                2, OFS__INIT_ALL,   1, OFS__B1, 6u, OFS__R_ROOT | OFS__READS(initial_accumulator_value),
         1e-2,  0.9,  0.999, 1e-3,  0, 0, 1e-6, 0.99, 1e3, -1, 0, 0, 0},
    {"lamb",      ofs__lamb_step,      NULL,                2, OFS__ZERO,       0, OFS__B1, 6u, OFS__R_ROOT,
         1e-3,  0.9,  0.999, 1e-6,  0, 0, 0, 0.99, 1, -1, 0, 0, 0},
    {"adabelief", ofs__yogi_step,      NULL,                2, OFS__ZERO,       1, OFS__B1, 6u, OFS__R_ROOT,
         1e-3,  0.9,  0.999, 1e-16, 0, 1e-16, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"rprop",     ofs__rprop_step,     NULL,                2, OFS__ZERO,       1, OFS__CYC_NONE, 2u, OFS__R_RPROP,
         1e-2,  0,    0,     0,     0, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"asgd",      ofs__asgd_step,      NULL,                1, OFS__ZERO,       1, OFS__CYC_NONE, 0u, OFS__R_ASGD,
         1e-2,  0,    0,     0,     0, 0, 0, 0.75, 1e3, 0, 0, 0, 0},
    {"adopt",     ofs__adopt_step,     NULL,                2, OFS__ZERO,       1, OFS__B1, 2u, OFS__R_ADAM | OFS__READS(decoupled_weight_decay),
         1e-3,  0.9,  0.9999, 1e-6, 0, 0, 0, 0.99, 1e3, -1, 0, 0, 0},
    {"sfadamw",   ofs__sfadamw_step,   NULL,                3, OFS__ZERO,       1, OFS__CYC_NONE, 4u, OFS__R_SF | OFS__READS(beta2) | OFS__READS(eps),
         2.5e-3, 0.9, 0.999, 1e-8,  0, 0, 0, 0.99, 1e3, 1, 0, 0, 0},
    {"sfsgd",     ofs__sfsgd_step,     NULL,                2, OFS__ZERO,       1, OFS__CYC_NONE, 0u, OFS__R_SF,
         1.0,   0.9,  0,     0,     0, 0, 0, 0.99, 1e3, 1, 0, 0, 0},
    {"muon",      ofs__muon_step,      NULL,                1, OFS__ZERO,       0, OFS__MOM, 0u, OFS__R_MUON,
         1e-3,  0,    0,     1e-7,  0.1, 0, 0, 0.99, 1e3, -1, 0.95, 1, 2},
    {"adafactor", ofs__adafactor_step, NULL,                1, OFS__ZERO,       0, OFS__CYC_NONE, 1u, OFS__R_ADAFACTOR,
         1e-2,  0,    0,     0,     0, 0, 0, 0.99, 1e3, -1, 0, 0, 1}
};
#undef OFS__ZERO
#undef OFS__MOM
#undef OFS__B1

static const ofs__algo *ofs__algo_of(ofs_optim_kind kind) { return &ofs__algos[(unsigned)kind < OFS_OPTIM_COUNT ? kind : 0]; }
static int ofs__elementwise(ofs_optim_kind kind) { return ofs__algo_of(kind)->elementwise; }
static int ofs__cycles(ofs_optim_kind kind) { return ofs__algo_of(kind)->cycles; }

OFSDEF ofs_optim_config ofs_optim_defaults(ofs_optim_kind kind)
{
    ofs_optim_config c;
    const ofs__algo *a;
    OFS_ASSERT((unsigned)kind < OFS_OPTIM_COUNT);
    a = &ofs__algos[kind];
    memset(&c, 0, sizeof c);
    c.kind = kind; c.lr = a->lr; c.beta1 = a->beta1; c.beta2 = a->beta2;
    c.eps = a->eps; c.weight_decay = a->weight_decay;
    c.eps_root = a->eps_root; c.initial_accumulator_value = a->initial_accumulator_value; c.alpha = a->alpha;
    c.rho = 0.9; c.momentum_decay = 4e-3;                    /* read by one algorithm each, the same for all */
    c.etaminus = 0.5; c.etaplus = 1.2; c.step_size_min = 1e-6; c.step_size_max = 50; c.lambd = 1e-4; c.t0 = 1e6;
    c.warmup_steps = 0; c.r = 0; c.weight_lr_power = 2;
    c.ns_steps = 5; c.beta2_decay = -0.8; c.eps2 = 1e-3; c.d = 1;
    c.eps1 = sizeof(ofs_real) == sizeof(float) ? (double)FLT_EPSILON : DBL_EPSILON;   /* torch's None: finfo(dtype).eps */
    c.momentum = a->momentum; c.nesterov = a->nesterov;
    return c;
}

OFSDEF int ofs_optim_wants_shape(ofs_optim_kind kind) { return ofs__algo_of(kind)->shape; }

OFSDEF const char *ofs_optim_name(ofs_optim_kind kind)
{
    return (unsigned)kind < OFS_OPTIM_COUNT ? ofs__algos[kind].name : "unknown";
}

OFSDEF ofs_status ofs_optim_kind_from_name(const char *name, ofs_optim_kind *kind, ofs_err *err)
{
    int k;
    char names[256] = "";
    for (k = 0; name && k < OFS_OPTIM_COUNT; k++)
        if (strcmp(name, ofs__algos[k].name) == 0) { *kind = (ofs_optim_kind)k; return ofs__ok(err); }
    for (k = 0; k < OFS_OPTIM_COUNT; k++) strcat(strcat(names, k ? ", " : ""), ofs__algos[k].name);
    return ofs__fail(err, OFS_ERR_ARG, "unknown optimizer \"%s\": expected one of %s", name ? name : "(null)", names);
}

static const char *const ofs__field_names[OFS__NFIELDS] = {
#define OFS__NAME(f) #f,
    OFS__FIELDS(OFS__NAME) OFS__FLAGS(OFS__NAME)
#undef OFS__NAME
};

OFSDEF const char *ofs_optim_field(int i) { return i >= 0 && i < OFS__NFIELDS ? ofs__field_names[i] : NULL; }

OFSDEF int ofs_optim_reads(ofs_optim_kind kind, const char *field)
{
    int i;
    for (i = 0; field && (unsigned)kind < OFS_OPTIM_COUNT && i < OFS__NFIELDS; i++)
        if (strcmp(field, ofs__field_names[i]) == 0) return (int)((ofs__algos[kind].reads >> i) & 1);
    return 0;
}


OFSDEF ofs_status ofs_optim_config_set(ofs_optim_config *cfg, const char *key, double value, ofs_err *err)
{
#define OFS__SET_FIELD(f) if (strcmp(key, #f) == 0) { cfg->f = value; return ofs__ok(err); }
#define OFS__SET_FLAG(f) if (strcmp(key, #f) == 0) { \
        if (value != 0 && value != 1) return ofs__fail(err, OFS_ERR_ARG, "%s: expected 0 or 1, found %g", key, value); \
        cfg->f = (int)value; return ofs__ok(err); }
    OFS__FIELDS(OFS__SET_FIELD)
    OFS__FLAGS(OFS__SET_FLAG)
#undef OFS__SET_FIELD
#undef OFS__SET_FLAG
    return ofs__fail(err, OFS_ERR_ARG, "unknown hyperparameter \"%s\"", key);
}

OFSDEF ofs_status ofs_optim_config_get(const ofs_optim_config *cfg, const char *key, double *value, ofs_err *err)
{
#define OFS__GET(f) if (strcmp(key, #f) == 0) { *value = (double)cfg->f; return ofs__ok(err); }
    OFS__FIELDS(OFS__GET)
    OFS__FLAGS(OFS__GET)
#undef OFS__GET
    return ofs__fail(err, OFS_ERR_ARG, "unknown hyperparameter \"%s\"", key);
}

/* Validation: the ranges of a configuration, checked at init, before every step (a
   schedule may have changed a field since) and on loading a saved state. They are
   the ranges in which every algorithm keeps finite weights and states for finite,
   bounded gradients (fuzz/fuzz_finite.c checks that property):
     - every field finite (NaN and +-Inf are refused in every field, used or not) and
       at most OFS__CFG_BIG = 1e30 in size, so that it is finite in float too;
     - lr in [0, 1e3]; LAMB: [0, 1], since LAMB's lr is the fraction of the weights'
       norm that one step moves (the weights can grow as (1 + lr)^t);
     - weight_decay in [0, 1e3] (coupled decay adds weight_decay theta to g, which
       is then squared) and lr * weight_decay <= 1: beyond, the decay alone flips
       the weights' sign at every step and they grow as (lr weight_decay - 1)^t;
     - momentum in [0, 1) (PyTorch allows more, but from 1 on the buffer grows as
       momentum^t whatever the gradients), dampening and rho in [0, 1], alpha in [0, 1)
       (with alpha = 1 RMSprop's v stays 0 and every step divides g by eps);
     - beta1, beta2 in [0, 1), and below 1 once rounded to ofs_real (0.99999999 is 1
       in float: the average would never move, and a bias correction divides by 0);
     - eps in [1e-16, 1e6] where it is used: the step can be as large as lr g / eps
       (a smaller eps also becomes 0 in float, and 0 / 0 is NaN); eps_root and
       initial_accumulator_value in [0, 1e6];
       lr_decay and momentum_decay >= 0;
     - Muon: ns_steps a whole number in [0, 99] (torch: fewer than 100); Adafactor:
       beta2_decay <= 0, eps1 in [1e-16, 1e6] (its square floors the second moments,
       and must not be 0 in float), eps2 in [0, 1e6], d >= 1 (torch's ranges).
   Two combinations are outside this promise, and are not refused since they are
   how these algorithms are used: AdaBelief and centered RMSprop with (coupled, L2)
   weight decay. Their denominators measure how much g varies, not how large it is;
   the decay term of a gradient that does not vary is divided by as little as eps
   (or sqrt(eps), sqrt(eps_root / (1 - beta2))), and the weights can then grow as
   (1 + lr weight_decay / eps)^t. With the usual betas and alpha the averages lag
   behind a growing g and the denominator catches up; with them near 0 nothing does.
   The step counter t is at most OFS_MAX_STEPS (2^53, where a count still converts
   to double exactly): the step that would pass it is refused.                   */
#define OFS__CFG_BIG 1e30
OFSDEF ofs_status ofs_optim_validate(const ofs_optim_config *c, ofs_err *err)
{
    const char *name = ofs_optim_name(c->kind);
    const unsigned long long reads = ofs__algo_of(c->kind)->reads;
    const int adam_like = (reads & OFS__READS(beta1)) != 0, uses_eps = (reads & OFS__READS(eps)) != 0;
    const int power = (reads & OFS__READS(lambd)) != 0;   /* ASGD's alpha is a power, RMSprop's a smoothing */
    const double lr_max = ofs__algo_of(c->kind)->lr_max;
    if ((unsigned)c->kind >= OFS_OPTIM_COUNT)
        return ofs__fail(err, OFS_ERR_ARG, "optimizer kind %d: expected 0 to %d", (int)c->kind, OFS_OPTIM_COUNT - 1);
#define OFS__CHECK(cond, what) if (!(cond)) return ofs__fail(err, OFS_ERR_ARG, "%s: " what, name
    OFS__CHECK(c->lr >= 0 && c->lr <= lr_max, "expected a learning rate lr in [0, %g], found %g"), lr_max, c->lr);
    OFS__CHECK(c->weight_decay >= 0 && c->weight_decay <= 1e3, "expected weight_decay in [0, 1e3], found %g"), c->weight_decay);
    OFS__CHECK(c->lr * c->weight_decay <= 1, "expected lr * weight_decay <= 1 (a larger decay flips the weights' sign at every "
               "step), found lr %g and weight_decay %g"), c->lr, c->weight_decay);
    OFS__CHECK(c->momentum >= 0 && c->momentum < 1, "expected momentum in [0, 1), found %g"), c->momentum);
    OFS__CHECK(c->dampening >= 0 && c->dampening <= 1, "expected dampening in [0, 1], found %g"), c->dampening);
    OFS__CHECK(!c->nesterov || (c->momentum > 0 && c->dampening == 0),
               "nesterov needs momentum > 0 and dampening = 0, found momentum %g, dampening %g"), c->momentum, c->dampening);
    OFS__CHECK(!c->ema_momentum || (c->momentum > 0 && c->momentum < 1 && !c->nesterov && c->dampening == 0),
               "ema_momentum needs 0 < momentum < 1, no nesterov, no dampening; found momentum %g"), c->momentum);
    OFS__CHECK(c->alpha >= 0 && (c->alpha < 1 || (power && c->alpha <= 1)), "expected alpha in [0, 1%s, found %g"),
               power ? "]" : ")", c->alpha);
    OFS__CHECK(c->rho >= 0 && c->rho <= 1, "expected rho in [0, 1], found %g"), c->rho);
    OFS__CHECK(!adam_like || (c->beta1 >= 0 && c->beta1 < 1 && (ofs_real)c->beta1 < 1),
               "expected beta1 in [0, 1) (and below 1 in ofs_real), found %.17g"), c->beta1);
    OFS__CHECK(!adam_like || (c->beta2 >= 0 && c->beta2 < 1 && (ofs_real)c->beta2 < 1),
               "expected beta2 in [0, 1) (and below 1 in ofs_real), found %.17g"), c->beta2);
    OFS__CHECK(uses_eps ? c->eps >= 1e-16 && c->eps <= 1e6 : c->eps >= 0, "expected eps in %s, found %g"),
               uses_eps ? "[1e-16, 1e6]" : "[0, 1e30] (unused)", c->eps);
    OFS__CHECK(c->eps_root >= 0 && c->eps_root <= 1e6, "expected eps_root in [0, 1e6], found %g"), c->eps_root);
    OFS__CHECK(c->lr_decay >= 0, "expected lr_decay >= 0, found %g"), c->lr_decay);
    OFS__CHECK(c->initial_accumulator_value >= 0 && c->initial_accumulator_value <= 1e6,
               "expected initial_accumulator_value in [0, 1e6], found %g"), c->initial_accumulator_value);
    OFS__CHECK(c->momentum_decay >= 0, "expected momentum_decay >= 0, found %g"), c->momentum_decay);
    OFS__CHECK(c->etaminus > 0 && c->etaminus < 1 && c->etaplus > 1, "expected etas with 0 < etaminus < 1 < etaplus, "
               "found etaminus %g and etaplus %g"), c->etaminus, c->etaplus);
    OFS__CHECK(c->step_size_min >= 0 && c->step_size_min <= c->step_size_max, "expected step sizes with 0 <= step_size_min "
               "<= step_size_max, found step_size_min %g and step_size_max %g"), c->step_size_min, c->step_size_max);
    OFS__CHECK(c->lambd >= 0 && c->lr * c->lambd <= 1, "expected lambd >= 0 and lr * lambd <= 1 (theta is multiplied by "
               "1 - lambd eta), found lr %g and lambd %g"), c->lr, c->lambd);
    OFS__CHECK(c->t0 >= 0, "expected t0 >= 0, found %g"), c->t0);
    OFS__CHECK(c->warmup_steps >= 0 && c->warmup_steps <= (double)OFS_MAX_STEPS && floor(c->warmup_steps) == c->warmup_steps,
               "expected a whole number of warmup_steps in [0, 2^53], found %.17g"), c->warmup_steps);
    OFS__CHECK(c->r >= 0 && c->r <= 8, "expected r in [0, 8] (the average's weights t^r stay finite), found %g"), c->r);
    OFS__CHECK(c->weight_lr_power >= 0 && c->weight_lr_power <= 8,
               "expected weight_lr_power in [0, 8] (the weights lr_max^power stay finite), found %g"), c->weight_lr_power);
    OFS__CHECK(c->ns_steps >= 0 && c->ns_steps <= 99 && floor(c->ns_steps) == c->ns_steps,
               "expected a whole number of ns_steps in [0, 99] (torch: fewer than 100), found %.17g"), c->ns_steps);
    OFS__CHECK(c->beta2_decay <= 0, "expected beta2_decay <= 0 (1 - beta2_t = t^beta2_decay stays in (0, 1]), found %g"),
               c->beta2_decay);
    OFS__CHECK(!(reads & OFS__READS(eps1)) || (c->eps1 >= 1e-16 && c->eps1 <= 1e6),
               "expected eps1 in [1e-16, 1e6] (eps1^2 floors the second moments: not 0 in float either), found %g"), c->eps1);
    OFS__CHECK(c->eps2 >= 0 && c->eps2 <= 1e6, "expected eps2 in [0, 1e6], found %g"), c->eps2);
    OFS__CHECK(c->d >= 1, "expected a clipping threshold d >= 1 (torch's range), found %g"), c->d);
#define OFS__CHECK_FINITE(f) OFS__CHECK(ofs__finite(c->f) && fabs(c->f) <= OFS__CFG_BIG, \
                                        "expected a finite " #f " of at most 1e30 in size, found %g"), c->f);
    OFS__FIELDS(OFS__CHECK_FINITE)   /* the fields without an upper bound above, and those the algorithm ignores */
#undef OFS__CHECK_FINITE
#undef OFS__CHECK
    return ofs__ok(err);
}

/* Moment arrays each algorithm needs, given its flags. */
static int ofs__nstate(const ofs_optim_config *c)
{
    const ofs__algo *a = ofs__algo_of(c->kind);
    return a->nstate ? a->nstate(c) : a->nfixed;
}

/* Adafactor keeps a matrix's second moments as its row and column factors. */
OFSDEF size_t ofs_optim_state_size(const ofs_optim *o, int k)
{
    if (k < 0 || k > 2 || !o->s[k]) return 0;
    return ofs_optim_wants_shape(o->cfg.kind) == 1 && o->rows ? o->rows + o->cols : o->n;
}

OFSDEF void ofs_optim_reset(ofs_optim *o)
{
    int k;
    size_t i;
    const int init = ofs__algo_of(o->cfg.kind)->init;
    o->t = 0;
    o->mu_product = 1.0;
    o->eta = 0;
    o->lr_max = 0;
    o->weight_sum = 0;
    for (k = 0; k < 3; k++)
        if (o->s[k])
            for (i = 0; i < ofs_optim_state_size(o, k); i++)
                o->s[k][i] = (ofs_real)(init == OFS__INIT_ALL || (init == OFS__INIT_FIRST && k == 0) ? o->cfg.initial_accumulator_value : 0.0);
}

OFSDEF const ofs_real *ofs_optim_averaged(const ofs_optim *o)
{
    const int k = ofs__algo_of(o->cfg.kind)->averaged;
    return k >= 0 ? o->s[k] : NULL;
}

OFSDEF void ofs_optim_eval_params(const ofs_optim *o, const ofs_real *params, ofs_real *out)
{
    const ofs_real *avg;
    OFS_ASSERT(o && params && out && out != params);
    avg = o->t > 0 ? ofs_optim_averaged(o) : NULL;
    memcpy(out, avg ? avg : params, o->n * sizeof *out);
}

/* A shape Muon and Adafactor can use: rows x cols = n, and for Muon both at least 2. */
static ofs_status ofs__shape_check(const ofs_optim_config *cfg, size_t n, size_t rows, size_t cols, ofs_err *err)
{
    const char *name = ofs_optim_name(cfg->kind);
    if ((rows == 0) != (cols == 0) || (rows && (rows > 0x7FFFFFFF || cols > 0x7FFFFFFF || rows * cols / cols != rows ||
                                               rows * cols != n)))
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected a shape rows x cols of the %lu parameters (or 0 x 0: a flat array), "
                         "found %lu x %lu", name, (unsigned long)n, (unsigned long)rows, (unsigned long)cols);
    if (ofs_optim_wants_shape(cfg->kind) == 2 && rows == 0)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected a weight matrix (ofs_optim_init_shape with its rows x cols), found a "
                         "flat array of %lu parameters: Muon orthogonalises 2-D matrices; give vectors and flat groups to "
                         "AdamW", name, (unsigned long)n);
    if (ofs_optim_wants_shape(cfg->kind) == 2 && (rows < 2 || cols < 2))
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected a matrix of at least 2 x 2, found %lu x %lu (a vector, which "
                         "Newton-Schulz would only normalise): give it to AdamW", name, (unsigned long)rows, (unsigned long)cols);
    return OFS_OK;
}

OFSDEF ofs_status ofs_optim_init_shape(ofs_optim *o, const ofs_optim_config *cfg, size_t n, size_t rows, size_t cols,
                                       ofs_err *err)
{
    int k, ns;
    ofs_status st;
    OFS_ASSERT(o && cfg);
    memset(o, 0, sizeof *o);
    if ((st = ofs_optim_validate(cfg, err)) != OFS_OK) return st;
    if (n == 0) return ofs__fail(err, OFS_ERR_ARG, "%s: expected at least one parameter, found n = 0", ofs_optim_name(cfg->kind));
    if ((st = ofs__shape_check(cfg, n, rows, cols, err)) != OFS_OK) return st;
    o->cfg = *cfg;
    o->n = n; o->rows = rows; o->cols = cols;
    ns = ofs__nstate(cfg);
    for (k = 0; k < ns; k++) o->s[k] = (ofs_real *)ofs__alloc(ofs_optim_wants_shape(cfg->kind) == 1 && rows ? rows + cols : n,
                                                             sizeof(ofs_real));
    if (ofs_optim_wants_shape(cfg->kind) == 2) o->work = (ofs_real *)ofs__alloc(ofs__muon_work(rows, cols), sizeof(ofs_real));
    for (k = 0; k < ns; k++) st = o->s[k] ? st : OFS_ERR_NOMEM;
    if (st != OFS_OK || (ofs_optim_wants_shape(cfg->kind) == 2 && !o->work)) {
        ofs_optim_free(o);
        return ofs__fail(err, OFS_ERR_NOMEM, "%s: cannot allocate state for %lu parameters", ofs_optim_name(cfg->kind), (unsigned long)n);
    }
    ofs_optim_reset(o);
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_optim_init(ofs_optim *o, const ofs_optim_config *cfg, size_t n, ofs_err *err)
{
    return ofs_optim_init_shape(o, cfg, n, 0, 0, err);
}

/* Everything a step does before touching an element: the checks, then t <- t + 1. */
static ofs_status ofs__optim_begin(ofs_optim *o, ofs_err *err)
{
    ofs_status st;
    if (o->n == 0) return ofs__fail(err, OFS_ERR_ARG, "step: the optimizer was not initialised (n = 0)");
    if ((st = ofs_optim_validate(&o->cfg, err)) != OFS_OK) return st;
    if (ofs__nstate(&o->cfg) > 0 && !o->s[ofs__nstate(&o->cfg) - 1])
        return ofs__fail(err, OFS_ERR_ARG, "%s step: a flag that needs more state (momentum, centered, amsgrad) was switched on after init",
                         ofs_optim_name(o->cfg.kind));
    if (o->t < 0 || o->t >= OFS_MAX_STEPS)
        return ofs__fail(err, OFS_ERR_ARG, "%s step: expected a step counter t in [0, 2^53), found %lld: no further step can be taken",
                         ofs_optim_name(o->cfg.kind), (long long)o->t);
    o->t++;
    return ofs__ok(err);
}

/* The update of elements i0 .. i0+n-1 only (p and g point at element i0), as `at`
   stood after ofs__optim_begin: a copy of it that sees the slice (every algorithm
   but LAMB is element-wise, so the slices of one step, in any order, on any
   threads, give the bits of the whole). With n = 0 nothing moves, but the step's
   scalars are computed: that is how NAdam's running product and ASGD's eta advance
   once per step (ofs__optim_scalars takes them from the returned copy). */
static ofs_optim ofs__optim_slice(const ofs_optim *at, ofs_real *p, const ofs_real *g, size_t i0, size_t n)
{
    ofs_optim v = *at;
    int k;
    v.n = n;
    for (k = 0; k < 3; k++) if (v.s[k]) v.s[k] += i0;
    ofs__algos[v.cfg.kind].step(&v, p, g);
    return v;
}

static void ofs__optim_scalars(ofs_optim *o, ofs_optim v)
{
    o->mu_product = v.mu_product; o->eta = v.eta; o->lr_max = v.lr_max; o->weight_sum = v.weight_sum;
}

/* With OpenMP, a large element-wise step is cut into one slice per thread (on
   whole cache lines); the update functions themselves are plain loops, so a
   caller that is already running threads (the trainer) can give each its own
   slices without starting a region inside a region. */
#ifndef OFS__OPTIM_PAR_MIN
#define OFS__OPTIM_PAR_MIN 32768
#endif
OFSDEF ofs_status ofs_optim_step(ofs_optim *o, ofs_real *params, const ofs_real *grads, ofs_err *err)
{
    ofs_status st;
    OFS_ASSERT(o);
    if (!params || !grads) return ofs__fail(err, OFS_ERR_ARG, "%s step: expected parameter and gradient arrays, found NULL", ofs_optim_name(o->cfg.kind));
    if ((st = ofs__optim_begin(o, err)) != OFS_OK) return st;
#ifdef _OPENMP
    if (o->n > OFS__OPTIM_PAR_MIN && ofs__elementwise(o->cfg.kind) && omp_get_max_threads() > 1 && !omp_in_parallel()) {
        const ofs_optim at = *o;
        const size_t n = o->n, line = OFS__ALIGN / sizeof(ofs_real);
        const int nt = omp_get_max_threads();
        int k;
        ofs__optim_scalars(o, ofs__optim_slice(&at, params, grads, 0, 0));
#pragma omp parallel for schedule(static) num_threads(nt)
        for (k = 0; k < nt; k++) {
            const size_t i0 = n / nt * k / line * line, i1 = k + 1 == nt ? n : n / nt * (k + 1) / line * line;
            (void)ofs__optim_slice(&at, params + i0, grads + i0, i0, i1 - i0);
        }
        return ofs__ok(err);
    }
#endif
    ofs__algos[o->cfg.kind].step(o, params, grads);
    return ofs__ok(err);
}

OFSDEF void ofs_optim_free(ofs_optim *o)
{
    int k;
    for (k = 0; k < 3; k++) { ofs__free(o->s[k]); o->s[k] = NULL; }
    ofs__free(o->work); o->work = NULL;
    o->n = 0;
}

/* Saving: a tag, kind, n, t, the NAdam product, ASGD's eta, Schedule-Free's lr_max
   and weight_sum, every hyperparameter, then the moment arrays, each value stored as
   a double (exact for float), so that a run resumed from the saved state continues
   bit for bit. The older formats are still read, and the fields they lack keep o's
   values: version 0.2.0's began with the kind, had no eta and the first
   OFS__V1_FIELDS numbers; 0.3.0's ("OPT2") had no lr_max, weight_sum and the first
   OFS__V2_FIELDS numbers; "OPT3" had the first OFS__V3_FIELDS numbers, and all three
   had the first OFS__OLD_FLAGS flags and no shape (a flat array). "OPT4" has the shape
   (rows, cols) after the flags, and each moment array has ofs_optim_state_size values. */
#define OFS__OPTIM_TAG 0x3454504fu   /* "OPT4" */
#define OFS__OPTIM_TAG3 0x3354504fu  /* "OPT3" */
#define OFS__OPTIM_TAG2 0x3254504fu  /* "OPT2" */
#define OFS__V1_FIELDS 13
#define OFS__V2_FIELDS 19
#define OFS__V3_FIELDS 22
#define OFS__OLD_FLAGS 7
#define OFS__NNUMS OFS__B_nesterov   /* the numbers come first; nesterov is the first flag */
OFSDEF void ofs_optim_save(const ofs_optim *o, ofs_buf *b)
{
    int k;
    ofs_put_u64(b, OFS__OPTIM_TAG);
    ofs_put_u64(b, (uint64_t)o->cfg.kind);
    ofs_put_u64(b, (uint64_t)o->n);
    ofs_put_u64(b, (uint64_t)o->t);
    ofs_put_f64(b, o->mu_product);
    ofs_put_f64(b, o->eta);
    ofs_put_f64(b, o->lr_max);
    ofs_put_f64(b, o->weight_sum);
#define OFS__PUT_FIELD(f) ofs_put_f64(b, o->cfg.f);
#define OFS__PUT_FLAG(f) ofs_put_u64(b, (uint64_t)o->cfg.f);
    OFS__FIELDS(OFS__PUT_FIELD)
    OFS__FLAGS(OFS__PUT_FLAG)
#undef OFS__PUT_FIELD
#undef OFS__PUT_FLAG
    ofs_put_u64(b, (uint64_t)o->rows);
    ofs_put_u64(b, (uint64_t)o->cols);
    for (k = 0; k < 3; k++) {
        ofs_put_u64(b, o->s[k] != NULL);
        if (o->s[k]) ofs_put_reals(b, o->s[k], ofs_optim_state_size(o, k));
    }
}

/* A loaded state is sane, whatever its checksum says, when: its hyperparameters pass
   ofs_optim_validate; every flag is 0 or 1; t is in [0, OFS_MAX_STEPS]; NAdam's
   running product of the mu_t (each in [0, beta1)) is 1 at t = 0 and in [0, 1)
   after, and every other algorithm keeps it at 1; every moment is a finite number
   (finite in ofs_real too), and those that are sums or averages of squares
   (Adagrad's sum, RMSprop's v, both of Adadelta's, the second moments of the Adam
   family, Yogi, LAMB and AdaBelief, AMSGrad's max) are >= 0. Anything else is
   refused with the field, what was expected and what was found, and changes
   nothing: the values are checked in the file's bytes before any is stored. */
static unsigned ofs__square_arrays(ofs_optim_kind kind) { return ofs__algo_of(kind)->squares; }

/* Check n stored doubles at r's position (r is a copy: nothing is consumed for the
   caller): each finite, finite once rounded to ofs_real, and >= 0 if nonneg.
   Returns 0, or 1 with the offending index and value, or -1 when truncated. */
static int ofs__reals_check(ofs_reader r, size_t n, int nonneg, size_t *bad, double *value)
{
    const double big = OFS__REAL_MAX;
    size_t i;
    if (r.failed || (r.len - r.pos) / 8 < n) return -1;
    for (i = 0; i < n; i++) {
        double v = ofs_get_f64(&r);
        if (!(fabs(v) <= big) || (nonneg && v < 0)) { *bad = i; *value = v; return 1; }
    }
    return 0;
}

static ofs_status ofs__sf_sane(const ofs_optim_config *c, uint64_t t, double lr_max, double wsum, ofs_err *err)
{
    const int sf = (ofs__algo_of(c->kind)->reads & OFS__READS(weight_lr_power)) != 0;
    if (!sf || t == 0) {
        if (lr_max != 0 || wsum != 0)
            return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: expected lr_max = weight_sum = 0 (%s), found %.17g and %.17g",
                             sf ? "Schedule-Free before its first step" : "only Schedule-Free sets them", lr_max, wsum);
        return OFS_OK;
    }
    if (!(lr_max >= 0 && lr_max <= ofs__algo_of(c->kind)->lr_max) || !(wsum >= 0 && wsum <= DBL_MAX))
        return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: expected Schedule-Free's lr_max in [0, %g] and a finite "
                         "weight_sum >= 0, found %.17g and %.17g", ofs__algo_of(c->kind)->lr_max, lr_max, wsum);
    return OFS_OK;
}

static ofs_status ofs__optim_sane(const ofs_optim_config *c, uint64_t t, double prod, double eta, ofs_err *err)
{
    const unsigned long long reads = ofs__algo_of(c->kind)->reads;
    const int nadam = (reads & OFS__READS(momentum_decay)) != 0, has_eta = (reads & OFS__READS(lambd)) != 0 && t > 0;
    if (ofs_optim_validate(c, err) != OFS_OK) return ofs__wrap(err, OFS_ERR_FORMAT, "optimizer state: hyperparameters");
    if (t > (uint64_t)OFS_MAX_STEPS)
        return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: expected a step counter t in [0, 2^53], found %lld", (long long)t);
    if (nadam && !(t == 0 ? prod == 1 : prod >= 0 && prod < 1))
        return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: expected NAdam's running product mu_product %s, found %.17g",
                         t == 0 ? "= 1 at t = 0" : "in [0, 1) after a step", prod);
    if (!nadam && prod != 1)
        return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: expected mu_product = 1 (only NAdam changes it), found %.17g", prod);
    if (has_eta ? !(eta >= 0 && eta <= (double)OFS__R(c->lr)) : eta != 0)   /* eta_t = lr / (1 + ...)^alpha <= lr */
        return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: expected eta %s, found %.17g",
                         has_eta ? "in [0, lr] (ASGD after a step)" : "= 0 (only ASGD sets it, from its first step)", eta);
    return OFS_OK;
}

static ofs_status ofs__moments_check(const ofs_optim *o, const ofs_optim_config *c, ofs_reader r, ofs_err *err)
{
    const unsigned squares = ofs__square_arrays(c->kind);
    size_t bad = 0;
    double v = 0;
    int k, res;
    for (k = 0; k < 3; k++) {
        uint64_t has = ofs_get_u64(&r);
        if (r.failed || has != (uint64_t)(o->s[k] != NULL))
            return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: moment array %d missing or truncated", k);
        if (!has) continue;
        if ((res = ofs__reals_check(r, ofs_optim_state_size(o, k), (int)(squares >> k & 1u), &bad, &v)) < 0)
            return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: truncated moment arrays");
        if (res > 0)
            return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: expected %s in moment array %d, found %g at element %lu of %lu",
                             squares >> k & 1u ? "finite numbers >= 0" : "finite numbers", k, v, (unsigned long)bad,
                             (unsigned long)ofs_optim_state_size(o, k));
        r.pos += 8 * ofs_optim_state_size(o, k);
    }
    return OFS_OK;
}

OFSDEF ofs_status ofs_optim_load(ofs_optim *o, ofs_reader *r, ofs_err *err)
{
    ofs_optim_config c = o->cfg;
    const uint64_t first = ofs_get_u64(r);
    const int fmt = first == OFS__OPTIM_TAG ? 4 : first == OFS__OPTIM_TAG3 ? 3 : first == OFS__OPTIM_TAG2 ? 2 : 1;
    const int nums = fmt == 4 ? OFS__NNUMS : fmt == 3 ? OFS__V3_FIELDS : fmt == 2 ? OFS__V2_FIELDS : OFS__V1_FIELDS;
    const int flags = fmt == 4 ? OFS__NFIELDS - OFS__NNUMS : OFS__OLD_FLAGS;
    uint64_t kind = fmt > 1 ? ofs_get_u64(r) : first;
    uint64_t n = ofs_get_u64(r), t = ofs_get_u64(r), flag, rows, cols;
    double prod = ofs_get_f64(r), eta = fmt > 1 ? ofs_get_f64(r) : 0;
    double lr_max = fmt > 2 ? ofs_get_f64(r) : 0, wsum = fmt > 2 ? ofs_get_f64(r) : 0;
    ofs_status st;
    int k;
    if (r->failed) return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: truncated header");
    if (kind != (uint64_t)o->cfg.kind || n != (uint64_t)o->n)
        return ofs__fail(err, OFS_ERR_MISMATCH, "optimizer state: expected %s over %lu parameters, found %s over %llu",
                         ofs_optim_name(o->cfg.kind), (unsigned long)o->n,
                         ofs_optim_name(kind < OFS_OPTIM_COUNT ? (ofs_optim_kind)kind : OFS_OPTIM_COUNT), (unsigned long long)n);
#define OFS__GET_FIELD(f) if (OFS__B_##f < nums) c.f = ofs_get_f64(r);
#define OFS__GET_FLAG(f) flag = OFS__B_##f - OFS__NNUMS < flags ? ofs_get_u64(r) : (uint64_t)c.f; \
    if (flag > 1 && !r->failed) return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: expected the flag " #f " 0 or 1, found %llu", \
                                              (unsigned long long)flag); \
    c.f = (int)flag;
    OFS__FIELDS(OFS__GET_FIELD)
    OFS__FLAGS(OFS__GET_FLAG)
#undef OFS__GET_FIELD
#undef OFS__GET_FLAG
    rows = fmt == 4 ? ofs_get_u64(r) : 0; cols = fmt == 4 ? ofs_get_u64(r) : 0;
    if (r->failed) return ofs__fail(err, OFS_ERR_FORMAT, "optimizer state: truncated hyperparameters");
    if (rows != (uint64_t)o->rows || cols != (uint64_t)o->cols)
        return ofs__fail(err, OFS_ERR_MISMATCH, "optimizer state: expected a %lu x %lu shape (0 x 0: flat), found %llu x %llu",
                         (unsigned long)o->rows, (unsigned long)o->cols, (unsigned long long)rows, (unsigned long long)cols);
    if ((st = ofs__optim_sane(&c, t, prod, eta, err)) != OFS_OK) return st;
    if ((st = ofs__sf_sane(&c, t, lr_max, wsum, err)) != OFS_OK) return st;
    if (ofs__nstate(&c) != ofs__nstate(&o->cfg))
        return ofs__fail(err, OFS_ERR_MISMATCH, "optimizer state: saved with %d moment arrays, this optimizer has %d",
                         ofs__nstate(&c), ofs__nstate(&o->cfg));
    if ((st = ofs__moments_check(o, &c, *r, err)) != OFS_OK) return st;
    for (k = 0; k < 3; k++)           /* all checked: now store */
        if (ofs_get_u64(r)) ofs_get_reals(r, o->s[k], ofs_optim_state_size(o, k));
    o->cfg = c; o->t = (int64_t)t; o->mu_product = prod; o->eta = eta; o->lr_max = lr_max; o->weight_sum = wsum;
    return ofs__ok(err);
}

#ifndef OFS_NO_STDIO

/* Saving refuses what loading would refuse: a state that is not finite (the weights
   diverged) is never written, so a file that exists is always one that loads. */
static ofs_status ofs__optim_savable(const ofs_optim *o, const char *path, ofs_err *err)
{
    int k;
    if (ofs_optim_validate(&o->cfg, err) != OFS_OK) {
        ofs__wrap(err, OFS_ERR_ARG, "refusing to save the optimizer state");
        return ofs__wrap(err, OFS_ERR_ARG, path);
    }
    for (k = 0; k < 3; k++) {
        size_t i = ofs__first_nonfinite(o->s[k], ofs_optim_state_size(o, k));
        if (i < ofs_optim_state_size(o, k))
            return ofs__fail(err, OFS_ERR_NONFINITE, "%s: refusing to save: the %s state holds %g at element %lu of moment array %d "
                             "(not a finite number); nothing was written, the previous file is unchanged", path,
                             ofs_optim_name(o->cfg.kind), (double)o->s[k][i], (unsigned long)i, k);
    }
    if (!ofs__finite(o->mu_product) || !ofs__finite(o->eta) || !ofs__finite(o->weight_sum) || o->t < 0 || o->t > OFS_MAX_STEPS)
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: refusing to save: t = %lld, mu_product = %g, eta = %g, weight_sum = %g; "
                         "nothing was written", path, (long long)o->t, o->mu_product, o->eta, o->weight_sum);
    return OFS_OK;
}

#define OFS__FILE_OPTIM 1u
OFSDEF ofs_status ofs_optim_save_file(const ofs_optim *o, const char *path, ofs_err *err)
{
    ofs_buf b = {NULL, 0, 0, 0};
    ofs_status st = ofs__optim_savable(o, path, err);
    if (st != OFS_OK) return st;
    ofs_optim_save(o, &b);
    st = ofs_file_save(path, OFS__FILE_OPTIM, &b, err);
    ofs_buf_free(&b);
    return st;
}

OFSDEF ofs_status ofs_optim_load_file(ofs_optim *o, const char *path, ofs_err *err)
{
    ofs_buf b;
    ofs_reader r;
    ofs_status st = ofs_file_load(path, OFS__FILE_OPTIM, &b, err);
    if (st != OFS_OK) return st;
    r.data = b.data; r.len = b.len; r.pos = 0; r.failed = 0;
    st = ofs_optim_load(o, &r, err);
    if (st == OFS_OK && r.pos != r.len)
        st = ofs__fail(err, OFS_ERR_FORMAT, "%s: %lu bytes left over after the optimizer state", path, (unsigned long)(r.len - r.pos));
    else if (st != OFS_OK) ofs__wrap(err, st, path);
    ofs_buf_free(&b);
    return st;
}
#endif

/* ==== Chapter 15: A multi-layer perceptron on MNIST ================================ */
/* The model of the last chapter: a multi-layer perceptron trained with minibatches.
   For a batch X (B rows, one example each) and layers l = 1..L:

       Z_l = A_{l-1} W_l^T + 1 b_l        A_0 = X,  W_l: n_l x n_{l-1}
       A_l = act(Z_l)   (l < L),          A_L = Z_L = the logits
       loss = (1/B) sum_r [ log sum_j exp(Z_L[r,j]) - Z_L[r, y_r] ]

   Backpropagation is the chain rule run from the loss back to each parameter;
   with G_l = dLoss/dZ_l (B x n_l):

       G_L = (softmax(Z_L) - onehot(y)) / B
       dW_l += G_l^T A_{l-1},   db_l += 1^T G_l   (column sums)
       dA_{l-1} = G_l W_l,      G_{l-1} = dA_{l-1} * act'(Z_{l-1})   (element-wise)

   so each layer costs three matrix products, A W^T, G^T A and G W, which is what
   ofs_mat_mul_nt, ofs_mat_mul_tn and ofs_mat_mul compute through ofs_gemm. The
   first layer needs no dA_0. act' is computed from the stored outputs A (relu:
   A > 0; tanh: 1 - A^2; sigmoid: A (1 - A)), so the forward pass keeps only A_l.  */

/* ---- The matrix product ---- */
/* Every product of the chapter is one call of ofs_gemm, C = op(A) op(B) + beta C,
   where op(A)(i,k) = A[i*rsa + k*csa] and op(B)(k,j) = B[k*rsb + j*csb]: a
   transposed operand is the same numbers read with the strides swapped. The book's
   product computes C row by row: start from beta C(i,.) (0 when beta is 0, so that
   whatever C held, NaN included, is ignored) and add a(i,k) b(k,.) for k = 0 ..
   K-1, one fused multiply-add per term. Any block of C can be computed alone, which
   is what a thread given that block does (Appendix B).

   That loop reads B once per row of A and runs at a few percent of what the
   processor can do. ofs_gemm therefore hands the work to Appendix A, which computes
   the same sums, each in its own order of terms, at close to the machine's peak
   (ofs_gemm_set_kernel("book") makes the whole library use the loop below). */
typedef struct ofs__gemm_args {
    int M, N, K;
    const ofs_real *A, *B;
    ptrdiff_t rsa, csa, rsb, csb;
    ofs_real beta;
    ofs_real *C;                      /* M x N, row-major */
    void (*epi)(void *ctx, ofs_real *c, ptrdiff_t ldc, int i0, int mr, int j0, int nr);
    void *epi_ctx;                    /* Appendix B: called on each finished tile */
} ofs__gemm_args;

static void ofs__gemm_book(const ofs__gemm_args *g, int i0, int i1, int j0, int j1)
{
    int i, j, k;
    for (i = i0; i < i1; i++) {
        ofs_real *c = g->C + (ptrdiff_t)i * g->N;
        for (j = j0; j < j1; j++) c[j] = g->beta == 0 ? (ofs_real)0 : g->beta * c[j];
        for (k = 0; k < g->K; k++) {
            const ofs_real a = g->A[i * g->rsa + k * g->csa], *b = g->B + k * g->rsb;
            for (j = j0; j < j1; j++) c[j] = ofs__fma(a, b[j * g->csb], c[j]);
        }
    }
}

static void ofs__gemm_run(const ofs__gemm_args *g);   /* Appendix A */

OFSDEF void ofs_gemm(int trans_a, int trans_b, int M, int N, int K, const ofs_real *A, const ofs_real *B, ofs_real beta,
                     ofs_real *C)
{
    ofs__gemm_args g;
    if (M <= 0 || N <= 0) return;
    g.M = M; g.N = N; g.K = K < 0 ? 0 : K; g.A = A; g.B = B; g.beta = beta; g.C = C;
    g.rsa = trans_a ? 1 : g.K; g.csa = trans_a ? M : 1;
    g.rsb = trans_b ? 1 : N;   g.csb = trans_b ? g.K : 1;
    g.epi = NULL; g.epi_ctx = NULL;
    ofs__gemm_run(&g);
}

/* ---- Matrices, layers and the loss ---- */
OFSDEF ofs_mat ofs_mat_view(ofs_real *data, int rows, int cols)
{
    ofs_mat m;
    m.data = data; m.rows = rows; m.cols = cols;
    return m;
}

OFSDEF void ofs_mat_mul(ofs_mat C, ofs_mat A, ofs_mat B, ofs_real beta)
{
    OFS_ASSERT(A.cols == B.rows && C.rows == A.rows && C.cols == B.cols);
    ofs_gemm(0, 0, C.rows, C.cols, A.cols, A.data, B.data, beta, C.data);
}

OFSDEF void ofs_mat_mul_tn(ofs_mat C, ofs_mat A, ofs_mat B, ofs_real beta)
{
    OFS_ASSERT(A.rows == B.rows && C.rows == A.cols && C.cols == B.cols);
    ofs_gemm(1, 0, C.rows, C.cols, A.rows, A.data, B.data, beta, C.data);
}

OFSDEF void ofs_mat_mul_nt(ofs_mat C, ofs_mat A, ofs_mat B, ofs_real beta)
{
    OFS_ASSERT(A.cols == B.cols && C.rows == A.rows && C.cols == B.rows);
    ofs_gemm(0, 1, C.rows, C.cols, A.cols, A.data, B.data, beta, C.data);
}

/* Activations and their derivatives, written in terms of the output y = act(x):
       identity  y = x                          y' = 1
       relu      y = max(x, 0)                  y' = [y > 0]
       tanh      y = tanh(x)                    y' = 1 - y^2
       sigmoid   y = 1 / (1 + exp(-x))          y' = y (1 - y)
   relu keeps a NaN (x < 0 ? 0 : x), so a broken model cannot hide behind it.
   sigmoid uses exp(x) / (1 + exp(x)) for x < 0, which cannot overflow.            */

static const char *const ofs__act_names[OFS_ACT_COUNT] = {"identity", "relu", "tanh", "sigmoid"};

OFSDEF const char *ofs_act_name(ofs_act a)
{
    return (unsigned)a < OFS_ACT_COUNT ? ofs__act_names[a] : "unknown";
}

OFSDEF ofs_status ofs_act_from_name(const char *name, ofs_act *a, ofs_err *err)
{
    int k;
    for (k = 0; name && k < OFS_ACT_COUNT; k++)
        if (strcmp(name, ofs__act_names[k]) == 0) { *a = (ofs_act)k; return ofs__ok(err); }
    return ofs__fail(err, OFS_ERR_ARG, "unknown activation \"%s\": expected identity, relu, tanh or sigmoid",
                     name ? name : "(null)");
}

static ofs_real ofs__sigmoid(ofs_real x)
{
    double e;
    if (x >= 0) return (ofs_real)(1.0 / (1.0 + exp(-(double)x)));
    e = exp((double)x);
    return (ofs_real)(e / (1.0 + e));
}

OFSDEF void ofs_act_forward(ofs_act a, ofs_real *x, size_t n)
{
    size_t i;
    switch (a) {
    case OFS_ACT_IDENTITY: break;
    case OFS_ACT_RELU:     for (i = 0; i < n; i++) x[i] = x[i] < 0 ? (ofs_real)0 : x[i]; break;
    case OFS_ACT_TANH:     for (i = 0; i < n; i++) x[i] = (ofs_real)tanh((double)x[i]); break;
    case OFS_ACT_SIGMOID:  for (i = 0; i < n; i++) x[i] = ofs__sigmoid(x[i]); break;
    case OFS_ACT_COUNT:    OFS_ASSERT(0); break;
    }
}

OFSDEF void ofs_act_backward(ofs_act a, const ofs_real *y, ofs_real *dy, size_t n)
{
    size_t i;
    switch (a) {
    case OFS_ACT_IDENTITY: break;
    case OFS_ACT_RELU:     for (i = 0; i < n; i++) dy[i] = y[i] > 0 ? dy[i] : (ofs_real)0; break;
    case OFS_ACT_TANH:     for (i = 0; i < n; i++) dy[i] *= 1 - y[i] * y[i]; break;
    case OFS_ACT_SIGMOID:  for (i = 0; i < n; i++) dy[i] *= y[i] * (1 - y[i]); break;
    case OFS_ACT_COUNT:    OFS_ASSERT(0); break;
    }
}

/* z[j] = act(z[j] + bias[j * step]) for j < n: step 1 adds a bias vector, step 0
   one number (Appendix B's transposed H), bias NULL none. */
static void ofs__bias_act(ofs_real *z, size_t n, const ofs_real *bias, ptrdiff_t step, ofs_act a)
{
    size_t j;
    if (bias) for (j = 0; j < n; j++) z[j] += bias[(ptrdiff_t)j * step];
    ofs_act_forward(a, z, n);
}

/* Row by row, so each row is still in cache for its second pass. */
OFSDEF void ofs_bias_act_forward(ofs_mat Z, const ofs_real *bias, ofs_act a)
{
    int r;
    for (r = 0; r < Z.rows; r++) ofs__bias_act(Z.data + (size_t)r * Z.cols, (size_t)Z.cols, bias, 1, a);
}

/* db[j] += sum over the rows r of G[r*rs + j*cs], j < cols, in row order. Sixteen
   columns at a time, summed in a local array: their cache lines stay in L1 whichever
   way G is stored (by rows, or by columns, as Appendix B's G1^T), and each column's
   sum keeps its order, so the bits do not depend on the blocking. */
static void ofs__add_colsums(ofs_real *db, const ofs_real *G, int rows, int cols, ptrdiff_t rs, ptrdiff_t cs)
{
    int r, j, j0;
    for (j0 = 0; j0 < cols; j0 += 16) {
        const int nj = cols - j0 < 16 ? cols - j0 : 16;
        ofs_real acc[16];
        for (j = 0; j < nj; j++) acc[j] = db[j0 + j];
        for (r = 0; r < rows; r++)
            for (j = 0; j < nj; j++) acc[j] += G[r * rs + (j0 + j) * cs];
        for (j = 0; j < nj; j++) db[j0 + j] = acc[j];
    }
}

OFSDEF void ofs_act_bias_backward(ofs_act a, ofs_mat Y, ofs_mat dY, ofs_real *db)
{
    int r;
    OFS_ASSERT(Y.rows == dY.rows && Y.cols == dY.cols);
    for (r = 0; r < dY.rows; r++) {
        ofs_real *g = dY.data + (size_t)r * dY.cols;
        ofs_act_backward(a, Y.data + (size_t)r * Y.cols, g, (size_t)dY.cols);
        if (db) ofs__add_colsums(db, g, 1, dY.cols, 0, 1);
    }
}

/* Softmax cross-entropy, for one row z with label y, in double:
       m = max_j z_j,   s = sum_j exp(z_j - m),   lse = m + log s
       loss = lse - z_y                         (never exp of a large number)
       dz_j = (exp(z_j - m) / s - [j = y]) / B  (softmax minus one-hot, over the batch)
   The gradient is written after the row has been read, so dlogits may be the
   logits themselves.                                                              */

static double ofs__xent_row(const ofs_real *z, int n, int y, ofs_real *dz, double scale)
{
    double m = (double)z[0], s = 0, zy = (double)z[y], lse;
    int j;
    for (j = 1; j < n; j++) m = ofs__max(m, (double)z[j]);
    for (j = 0; j < n; j++) s += exp((double)z[j] - m);
    lse = m + log(s);
    if (dz)
        for (j = 0; j < n; j++)
            dz[j] = (ofs_real)((exp((double)z[j] - lse) - (j == y ? 1.0 : 0.0)) * scale);
    return lse - zy;
}

/* sum + x[0] + ... + x[n-1], in that order: how the rows' losses make a batch's. */
static double ofs__loss_sum(const double *x, int n, double sum)
{
    int r;
    for (r = 0; r < n; r++) sum += x[r];
    return sum;
}

/* Rows in blocks of OFS__XENT_ROWS: the rows of a block in parallel (two exp per
   logit make this worth a second thread from about a thousand logits), their losses
   then summed in row order, so the result has the same bits on any number of threads. */
#define OFS__XENT_ROWS 256
static double ofs__softmax_xent(ofs_mat logits, const unsigned char *labels, ofs_real *dlogits, double scale)
{
    double sum = 0, loss[OFS__XENT_ROWS];
    int r0, r;
    for (r0 = 0; r0 < logits.rows; r0 += OFS__XENT_ROWS) {
        const int nr = logits.rows - r0 < OFS__XENT_ROWS ? logits.rows - r0 : OFS__XENT_ROWS;
#ifdef _OPENMP
#pragma omp parallel for if ((double)nr * logits.cols >= 1024) schedule(static)
#endif
        for (r = 0; r < nr; r++) {
            size_t o = (size_t)(r0 + r) * logits.cols;
            OFS_ASSERT(labels[r0 + r] < logits.cols);
            loss[r] = ofs__xent_row(logits.data + o, logits.cols, labels[r0 + r], dlogits ? dlogits + o : NULL, scale);
        }
        sum = ofs__loss_sum(loss, nr, sum);
    }
    return sum * (1.0 / logits.rows);
}

/* dlogits carry 1/rows: the gradient of the mean loss. (The trainer's micro-batches
   pass 1/(the step's rows) instead: then their sum is the step's mean.) */
OFSDEF double ofs_softmax_xent(ofs_mat logits, const unsigned char *labels, ofs_real *dlogits)
{
    return ofs__softmax_xent(logits, labels, dlogits, 1.0 / logits.rows);
}

OFSDEF int ofs_argmax(const ofs_real *x, int n)
{
    int j, best = 0;
    for (j = 1; j < n; j++) if (x[j] > x[best]) best = j;
    return best;
}

OFSDEF size_t ofs_count_correct(ofs_mat logits, const unsigned char *labels)
{
    size_t c = 0;
    int r;
    for (r = 0; r < logits.rows; r++)
        c += ofs_argmax(logits.data + (size_t)r * logits.cols, logits.cols) == (int)labels[r];
    return c;
}

/* The MLP. Memory: params and grads (nparams each), and one workspace block:
   every layer's output (max_batch x n_l), two backward buffers for dLoss/dA of
   the hidden layers (max_batch x widest hidden layer), and dLoss/dlogits. Nothing
   is allocated after ofs_mlp_create.                                            */

static ofs_status ofs__mlp_check(const int *sizes, int nsizes, ofs_act hidden, int max_batch, ofs_err *err)
{
    int l;
    if (!sizes || nsizes < 2 || nsizes > OFS_MLP_MAX_LAYERS + 1)
        return ofs__fail(err, OFS_ERR_ARG, "mlp: expected 2 to %d layer sizes, found %d", OFS_MLP_MAX_LAYERS + 1, nsizes);
    for (l = 0; l < nsizes; l++)
        if (sizes[l] < 1) return ofs__fail(err, OFS_ERR_ARG, "mlp: expected layer sizes >= 1, found sizes[%d] = %d", l, sizes[l]);
    if ((unsigned)hidden >= OFS_ACT_COUNT)
        return ofs__fail(err, OFS_ERR_ARG, "mlp: expected an activation 0 to %d, found %d", OFS_ACT_COUNT - 1, (int)hidden);
    if (max_batch < 1) return ofs__fail(err, OFS_ERR_ARG, "mlp: expected max_batch >= 1, found %d", max_batch);
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_mlp_create(ofs_mlp *m, const int *sizes, int nsizes, ofs_act hidden, int max_batch, ofs_err *err)
{
    size_t nw = 0, nb = 0, nwork = 0, widest = 0, B = (size_t)max_batch, pos;
    int l, L = nsizes - 1, ok = 1;
    ofs_status st;
    OFS_ASSERT(m);
    memset(m, 0, sizeof *m);
    if ((st = ofs__mlp_check(sizes, nsizes, hidden, max_batch, err)) != OFS_OK) return st;
    m->nlayers = L; m->act = hidden; m->max_batch = max_batch;
    for (l = 0; l <= L; l++) m->sizes[l] = sizes[l];
    for (l = 0; l < L; l++) {
        m->w_off[l] = nw;
        ok &= ofs__size_madd(&nw, (size_t)sizes[l], (size_t)sizes[l + 1]);
        ok &= ofs__size_madd(&nwork, B, (size_t)sizes[l + 1]);       /* out[l] */
        if (l + 1 < L && (size_t)sizes[l + 1] > widest) widest = (size_t)sizes[l + 1];
    }
    for (l = 0; l < L; l++) { m->b_off[l] = nw + nb; nb += (size_t)sizes[l + 1]; }
    ok &= ofs__size_madd(&nwork, 2 * B, widest);                       /* delta[0], delta[1] */
    ok &= ofs__size_madd(&nwork, B, (size_t)sizes[L]);                 /* dlogits */
    m->nweights = nw; m->nparams = nw + nb;
    if (ok) {
        m->params = (ofs_real *)ofs__alloc(m->nparams, sizeof(ofs_real));
        m->grads = (ofs_real *)ofs__alloc(m->nparams, sizeof(ofs_real));
        m->work = (ofs_real *)ofs__alloc(nwork, sizeof(ofs_real));
    }
    if (!ok || !m->params || !m->grads || !m->work) {
        ofs_mlp_free(m);
        return ofs__fail(err, OFS_ERR_NOMEM, "mlp: cannot allocate %lu parameters and a workspace for batches of %d",
                         (unsigned long)(nw + nb), max_batch);
    }
    for (pos = 0, l = 0; l < L; l++) { m->out[l] = m->work + pos; pos += B * (size_t)sizes[l + 1]; }
    m->delta[0] = m->work + pos; pos += B * widest;
    m->delta[1] = m->work + pos; pos += B * widest;
    m->dlogits = m->work + pos;
    memset(m->params, 0, m->nparams * sizeof(ofs_real));
    ofs_mlp_zero_grad(m);
    return ofs__ok(err);
}

OFSDEF void ofs_mlp_free(ofs_mlp *m)
{
    ofs__free(m->params);
    ofs__free(m->grads);
    ofs__free(m->work);
    memset(m, 0, sizeof *m);
}

/* He (Kaiming) initialisation keeps the variance of ReLU activations constant
   from layer to layer: Var(W) = 2 / fan_in. Xavier (Glorot) keeps it for tanh
   and sigmoid: Var(W) = 2 / (fan_in + fan_out), as U(-a, a) with a^2/3 = Var. */
OFSDEF void ofs_mlp_randomize(ofs_mlp *m, ofs_init init, ofs_rng *rng)
{
    int l;
    size_t i;
    for (l = 0; l < m->nlayers; l++) {
        double fin = m->sizes[l], fout = m->sizes[l + 1];
        double sd = sqrt(2.0 / fin), a = sqrt(6.0 / (fin + fout));
        ofs_real *W = m->params + m->w_off[l];
        size_t in, out, nin = (size_t)m->sizes[l], nout = (size_t)m->sizes[l + 1];
        for (in = 0; in < nin; in++)
            for (out = 0; out < nout; out++)
                W[out * nin + in] = (ofs_real)(init == OFS_INIT_HE ? sd * ofs_rng_normal(rng) : a * (2 * ofs_rng_uniform(rng) - 1));
    }
    for (i = m->nweights; i < m->nparams; i++) m->params[i] = 0;
}

OFSDEF void ofs_mlp_zero_grad(ofs_mlp *m)
{
    memset(m->grads, 0, m->nparams * sizeof(ofs_real));
}

/* Views of layer l's pieces for the current batch. The input is only ever read. */
static ofs_mat ofs__mlp_in(const ofs_mlp *m, int l)
{
    return ofs_mat_view(l == 0 ? (ofs_real *)m->input : m->out[l - 1], m->batch, m->sizes[l]);
}
static ofs_mat ofs__mlp_w(const ofs_mlp *m, ofs_real *base, int l)
{
    return ofs_mat_view(base + m->w_off[l], m->sizes[l + 1], m->sizes[l]);
}
static ofs_act ofs__mlp_act(const ofs_mlp *m, int l) { return l + 1 < m->nlayers ? m->act : OFS_ACT_IDENTITY; }

OFSDEF const ofs_real *ofs_mlp_forward(ofs_mlp *m, const ofs_real *x, int batch)
{
    int l;
    OFS_ASSERT(batch >= 1 && batch <= m->max_batch);
    m->input = x; m->batch = batch;
    for (l = 0; l < m->nlayers; l++) {
        ofs_mat Z = ofs_mat_view(m->out[l], batch, m->sizes[l + 1]);
        ofs_mat_mul_nt(Z, ofs__mlp_in(m, l), ofs__mlp_w(m, m->params, l), 0);  /* Z = A W^T */
        ofs_bias_act_forward(Z, m->params + m->b_off[l], ofs__mlp_act(m, l));   /* A = act(Z + b) */
    }
    return m->out[m->nlayers - 1];
}

/* beta = 1: grads += dLoss/dparams; beta = 0: grads = dLoss/dparams, which saves
   the trainer a pass that zeroes them (only the short bias slices are cleared). */
static void ofs__mlp_backward(ofs_mlp *m, const ofs_real *dlogits, ofs_real beta)
{
    int l, L = m->nlayers, B = m->batch;
    ofs_mat G = ofs_mat_view((ofs_real *)dlogits, B, m->sizes[L]);   /* read only */
    if (beta == 0)
        for (l = 0; l < L; l++) memset(m->grads + m->b_off[l], 0, (size_t)m->sizes[l + 1] * sizeof(ofs_real));
    ofs__add_colsums(m->grads + m->b_off[L - 1], dlogits, B, m->sizes[L], m->sizes[L], 1);  /* db_L += 1^T G_L */
    for (l = L - 1; l >= 0; l--) {
        ofs_mat_mul_tn(ofs__mlp_w(m, m->grads, l), G, ofs__mlp_in(m, l), beta);  /* dW_l = beta dW_l + G^T A */
        if (l > 0) {
            ofs_mat dA = ofs_mat_view(m->delta[l & 1], B, m->sizes[l]);
            ofs_mat_mul(dA, G, ofs__mlp_w(m, m->params, l), 0);                /* dA = G W */
            ofs_act_bias_backward(m->act, ofs__mlp_in(m, l), dA, m->grads + m->b_off[l - 1]);  /* G_{l-1}, db */
            G = dA;
        }
    }
}

OFSDEF void ofs_mlp_backward(ofs_mlp *m, const ofs_real *dlogits) { ofs__mlp_backward(m, dlogits, 1); }

/* phase: the trainer's timer (ofs__phase), or NULL; dscale: dlogits' factor. */
static double ofs__mlp_loss_grad(ofs_mlp *m, const ofs_real *x, const unsigned char *y, int batch, size_t *correct,
                                 ofs_real beta, double dscale, double *phase, double *clk)
{
    ofs_mat Z = ofs_mat_view((ofs_real *)ofs_mlp_forward(m, x, batch), batch, m->sizes[m->nlayers]);
    double loss;
    ofs__phase(phase, OFS_PHASE_FORWARD, clk);
    if (correct) *correct = ofs_count_correct(Z, y);
    loss = ofs__softmax_xent(Z, y, m->dlogits, dscale);
    ofs__phase(phase, OFS_PHASE_LOSS, clk);
    ofs__mlp_backward(m, m->dlogits, beta);
    ofs__phase(phase, OFS_PHASE_BACKWARD, clk);
    return loss;
}

OFSDEF double ofs_mlp_loss_grad(ofs_mlp *m, const ofs_real *x, const unsigned char *y, int batch, size_t *correct)
{
    return ofs__mlp_loss_grad(m, x, y, batch, correct, 1, 1.0 / batch, NULL, NULL);
}

OFSDEF double ofs_mlp_evaluate(ofs_mlp *m, const ofs_real *x, const unsigned char *y, size_t n,
                               size_t *correct, unsigned char *pred)
{
    size_t i, r, c = 0;
    double sum = 0;
    int nout = m->sizes[m->nlayers];
    for (i = 0; i < n; i += (size_t)m->max_batch) {
        int b = n - i < (size_t)m->max_batch ? (int)(n - i) : m->max_batch;
        ofs_mat Z = ofs_mat_view((ofs_real *)ofs_mlp_forward(m, x + i * (size_t)m->sizes[0], b), b, nout);
        if (y) { sum += ofs_softmax_xent(Z, y + i, NULL) * b; c += ofs_count_correct(Z, y + i); }
        if (pred) for (r = 0; r < (size_t)b; r++) pred[i + r] = (unsigned char)ofs_argmax(Z.data + r * (size_t)nout, nout);
    }
    if (correct) *correct = c;
    return n ? sum / (double)n : 0.0;
}

/* One hidden layer, element-wise optimizers: the epoch of Appendix B. */
static int ofs__owned_alloc(ofs_trainer *t);
static int ofs__owned_ok(const ofs_trainer *t);
static ofs_status ofs__owned_epoch(ofs_trainer *t, const ofs_real *x, const unsigned char *y, double *loss_sum,
                                   size_t *right, ofs_err *err);

/* Training. An epoch draws a fresh order from the trainer's rng (the identity
   permutation shuffled, so the order depends on the rng state alone and a resumed
   run sees the same batches), copies each batch's rows into one block, and takes
   one step per batch. With two groups the biases get weight_decay = 0: decaying
   them towards 0 only shifts the units' thresholds and does not regularise.     */

/* The pieces of both constructors: the checks, each group, then the workspace. */
static ofs_status ofs__trainer_begin(ofs_trainer *t, ofs_mlp *m, int batch, size_t n, const ofs_rng *rng, ofs_err *err)
{
    OFS_ASSERT(t && m && rng);
    memset(t, 0, sizeof *t);
    if (batch < 1 || batch > m->max_batch)
        return ofs__fail(err, OFS_ERR_ARG, "trainer: expected a batch size from 1 to the model's max_batch %d, found %d", m->max_batch, batch);
    if (n < 1 || n > 0xFFFFFFFFu)
        return ofs__fail(err, OFS_ERR_ARG, "trainer: expected 1 to 4294967295 training examples, found %lu", (unsigned long)n);
    t->mlp = m; t->batch = batch; t->accumulate = 1; t->n = n; t->rng = *rng;
    return OFS_OK;
}

static ofs_status ofs__trainer_group(ofs_trainer *t, const ofs_optim_config *c, size_t off, size_t n, int rows, int cols,
                                     double scale, ofs_err *err)
{
    const int g = t->ngroups++;
    t->offset[g] = off; t->lr_scale[g] = scale;
    return ofs_optim_init_shape(&t->opt[g], c, n, (size_t)rows, (size_t)cols, err);
}

static ofs_status ofs__trainer_finish(ofs_trainer *t, ofs_status st, ofs_err *err)
{
    const ofs_mlp *m = t->mlp;
    if (st != OFS_OK) { ofs_trainer_free(t); return st; }
    t->order = (uint32_t *)ofs__alloc(t->n, sizeof(uint32_t));
    t->xb = (ofs_real *)ofs__alloc((size_t)t->batch * (size_t)m->sizes[0], sizeof(ofs_real));
    t->yb = (unsigned char *)ofs__alloc((size_t)t->batch, 1);
    t->row_loss = (double *)ofs__alloc((size_t)t->batch, sizeof(double));
    if (!t->order || !t->xb || !t->yb || !t->row_loss || !ofs__owned_alloc(t)) {
        st = ofs__fail(err, OFS_ERR_NOMEM, "trainer: cannot allocate its workspace (the order of %lu examples, a batch of %d rows)",
                       (unsigned long)t->n, t->batch);
        ofs_trainer_free(t);
        return st;
    }
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_trainer_create(ofs_trainer *t, ofs_mlp *m, const ofs_optim_config *cfg, int decay_biases,
                                     int batch, size_t n, const ofs_rng *rng, ofs_err *err)
{
    ofs_optim_config c = *cfg;
    ofs_status st = ofs__trainer_begin(t, m, batch, n, rng, err);
    c.weight_decay = 0;
    if (st == OFS_OK) st = ofs__trainer_group(t, cfg, 0, decay_biases ? m->nparams : m->nweights, 0, 0, 1, err);
    if (st == OFS_OK && !decay_biases) st = ofs__trainer_group(t, &c, m->nweights, m->nparams - m->nweights, 0, 0, 1, err);
    return ofs__trainer_finish(t, st, err);
}

OFSDEF ofs_status ofs_trainer_create_layers(ofs_trainer *t, ofs_mlp *m, const ofs_optim_config *cfg,
                                            const ofs_optim_config *hidden, int batch, size_t n, const ofs_rng *rng,
                                            ofs_err *err)
{
    ofs_optim_config c = *cfg;
    ofs_status st = ofs__trainer_begin(t, m, batch, n, rng, err);
    int l;
    if (st == OFS_OK && hidden && m->nlayers < 3)
        st = ofs__fail(err, OFS_ERR_ARG, "trainer: a configuration for the hidden matrices needs two hidden layers or more "
                       "(3 weight layers), found a network of %d weight layer%s", m->nlayers, m->nlayers > 1 ? "s" : "");
    for (l = 0; l < m->nlayers && st == OFS_OK; l++) {
        const int inner = hidden && l > 0 && l + 1 < m->nlayers;
        st = ofs__trainer_group(t, inner ? hidden : cfg, m->w_off[l], (size_t)m->sizes[l] * (size_t)m->sizes[l + 1],
                                m->sizes[l + 1], m->sizes[l], inner && cfg->lr > 0 ? hidden->lr / cfg->lr : 1, err);
        if (st != OFS_OK) ofs__wrap(err, st, l == 0 ? "trainer: the first weight layer" : l + 1 < m->nlayers ?
                                    "trainer: a hidden weight matrix" : "trainer: the last weight layer");
    }
    c.weight_decay = 0;
    if (st == OFS_OK) st = ofs__trainer_group(t, &c, m->nweights, m->nparams - m->nweights, 0, 0, 1, err);
    if (st != OFS_OK && t->ngroups == m->nlayers + 1) ofs__wrap(err, st, "trainer: the biases");
    return ofs__trainer_finish(t, st, err);
}

OFSDEF void ofs_trainer_free(ofs_trainer *t)
{
    int g;
    for (g = 0; g < OFS_TRAINER_MAX_GROUPS; g++) ofs_optim_free(&t->opt[g]);
    ofs__free(t->order);
    ofs__free(t->xb);
    ofs__free(t->yb);
    ofs__free(t->row_loss);
    ofs__free(t->ht);
    ofs__free(t->g1t);
    ofs__free(t->dw2t);
    memset(t, 0, sizeof *t);
}

/* Copy the rows order[start .. start+b) of x and y into the batch block. */
static void ofs__gather(ofs_trainer *t, const ofs_real *x, const unsigned char *y, size_t start, int b)
{
    size_t d = (size_t)t->mlp->sizes[0];
    int r;
#ifdef _OPENMP
#pragma omp parallel for if ((size_t)b * d > 32768) schedule(static)
#endif
    for (r = 0; r < b; r++) {
        size_t k = t->order[start + (size_t)r];
        memcpy(t->xb + (size_t)r * d, x + k * d, d * sizeof(ofs_real));
        t->yb[r] = y[k];
    }
}

static ofs_status ofs__nonfinite_loss(const ofs_trainer *t, double loss, size_t batch_no, ofs_err *err)
{
    return ofs__fail(err, OFS_ERR_NONFINITE, "non-finite loss (%s) at step %lld (epoch %lld, batch %lu of %lu): "
                     "training stopped before that step's update", loss != loss ? "nan" : loss > 0 ? "inf" : "-inf",
                     (long long)t->step + 1, (long long)t->epoch + 1, (unsigned long)batch_no + 1,
                     (unsigned long)((t->n + (size_t)t->batch - 1) / (size_t)t->batch));
}

/* One training step, in three pieces that Appendix B's epoch uses too.
   ofs__step_begin: every group's schedule, its checks and t <- t + 1, before any
   parameter moves; a failure undoes the groups already begun, so that a failing
   schedule or a refused setting leaves the weights, the moments and the counters as
   they were. at[g] receives group g as it stands for this step's update (NAdam's
   running product advances once, here). */
static ofs_status ofs__step_begin(ofs_trainer *t, ofs_optim *at, ofs_err *err)
{
    ofs_status st = OFS_OK;
    int g;
    for (g = 0; g < t->ngroups && st == OFS_OK; g++) {
        st = t->schedule ? t->schedule(t->step, &t->opt[g].cfg, t->schedule_ctx, err) : OFS_OK;
        if (st == OFS_OK && t->schedule) t->opt[g].cfg.lr *= t->lr_scale[g];
        if (st == OFS_OK) st = ofs__optim_begin(&t->opt[g], err);
    }
    if (st != OFS_OK) {
        for (g -= 2; g >= 0; g--) t->opt[g].t--;
        return st;
    }
    for (g = 0; g < t->ngroups; g++) {
        at[g] = t->opt[g];
        ofs__optim_scalars(&t->opt[g], ofs__optim_slice(&at[g], t->mlp->params, t->mlp->grads, 0, 0));
    }
    t->step++;
    t->averaging = t->average && t->step > t->average_from && (t->step - t->average_from) % t->average_every == 0;
    if (t->averaging) t->average->count++;   /* the update's number is count - 1 */
    t->syncing = t->lookahead && t->lookahead->count + 1 >= t->lookahead->cfg.k;
    if (t->lookahead) t->lookahead->count = t->syncing ? 0 : t->lookahead->count + 1;
    return OFS_OK;
}

/* ofs__step_update: the optimizer on params[a, b), whatever groups that range falls
   in (every algorithm but LAMB is element-wise: slices in any order give the bits of
   the whole), then Lookahead's sync of that range and the weight average of it, when
   the step does them (both element-wise too). */
static void ofs__step_update(const ofs_trainer *t, const ofs_optim *at, size_t a, size_t b)
{
    int g;
    for (g = 0; g < t->ngroups; g++) {
        const size_t lo = t->offset[g], hi = lo + at[g].n, i0 = a > lo ? a : lo, i1 = b < hi ? b : hi;
        if (i0 < i1) (void)ofs__optim_slice(&at[g], t->mlp->params + i0, t->mlp->grads + i0, i0 - lo, i1 - i0);
    }
    if (t->syncing && a < b) ofs__lookahead_sync(t->lookahead, t->mlp->params + a, a, b - a);
    if (t->averaging && a < b) ofs__average_slice(t->average, t->mlp->params + a, a, b - a, t->average->count - 1);
}

/* Every group element-wise: then any slice of the update can go to any thread. */
static int ofs__trainer_elementwise(const ofs_trainer *t)
{
    int g, ok = 1;
    for (g = 0; g < t->ngroups; g++) ok &= ofs__elementwise(t->opt[g].cfg.kind);
    return ok;
}

/* The gradient over the step's rows order[start .. start + rows), micro-batch by
   micro-batch (gathered when `gather`): each one's dlogits carry 1/rows, so that their
   sum is the mean over the step's rows (one micro-batch: its own mean, bit for bit).
   *loss_sum: each micro-batch's mean loss times its rows, in order; *right (if not
   NULL): the rows classified right. A non-finite loss stops it at its micro-batch. */
static ofs_status ofs__step_grad(ofs_trainer *t, const ofs_real *x, const unsigned char *y, size_t start, size_t rows,
                                 int gather, double *loss_sum, size_t *right, double *clk, ofs_err *err)
{
    size_t j, c = 0;
    *loss_sum = 0;
    if (right) *right = 0;
    for (j = 0; j < rows; j += (size_t)t->batch) {
        const int b = rows - j < (size_t)t->batch ? (int)(rows - j) : t->batch;
        double loss;
        if (gather) {
            ofs__gather(t, x, y, start + j, b);
            ofs__phase(t->phase, OFS_PHASE_COPY, clk);
        }
        loss = ofs__mlp_loss_grad(t->mlp, t->xb, t->yb, b, right ? &c : NULL, j ? 1 : 0, 1.0 / (double)rows, t->phase, clk);
        if (!ofs__finite(loss)) return ofs__nonfinite_loss(t, loss, (start + j) / (size_t)t->batch, err);
        *loss_sum += loss * b;
        if (right) *right += c;
    }
    return OFS_OK;
}

/* The step: the gradient of its micro-batches (grads overwritten), a finite loss
   before anything moves; with SAM the second gradient at w + e (the micro-batches
   gathered again if there are several; w restored whatever happens); the schedule
   and checks; then the update of every parameter (with OpenMP and element-wise
   groups cut into one slice per thread, on whole cache lines; a matrix optimizer's
   group is updated whole, on one thread). *loss_sum and *correct: at w. */
static ofs_status ofs__train_step(ofs_trainer *t, const ofs_real *x, const unsigned char *y, size_t start, size_t rows,
                                  double *loss_sum, size_t *correct, double *clk, ofs_err *err)
{
    const size_t n = t->mlp->nparams, line = OFS__ALIGN / sizeof(ofs_real);
    ofs_optim at[OFS_TRAINER_MAX_GROUPS];
    ofs_status st;
    double at_e;
    int k, nt = 1;
    if ((st = ofs__step_grad(t, x, y, start, rows, 1, loss_sum, correct, clk, err)) != OFS_OK) return st;
    if (t->sam) {
        if ((st = ofs_sam_perturb(t->sam, t->mlp->params, t->mlp->grads, err)) != OFS_OK) return st;
        st = ofs__step_grad(t, x, y, start, rows, rows > (size_t)t->batch, &at_e, NULL, clk, err);
        (void)ofs_sam_restore(t->sam, t->mlp->params, NULL);
        if (st != OFS_OK) return ofs__wrap(err, st, "sam: the gradient at w + e");
    }
    if ((st = ofs__step_begin(t, at, err)) != OFS_OK) return st;
#ifdef _OPENMP
    if (n > OFS__OPTIM_PAR_MIN && ofs__trainer_elementwise(t)) nt = omp_get_max_threads();
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
#endif
    for (k = 0; k < nt; k++) ofs__step_update(t, at, n / nt * k / line * line, k + 1 == nt ? n : n / nt * (k + 1) / line * line);
    ofs__phase(t->phase, OFS_PHASE_UPDATE, clk);
    return ofs__ok(err);
}

/* The wrappers the trainer points at, over its parameters (an epoch's check and a save's). */
static ofs_status ofs__trainer_wrappers(const ofs_trainer *t, ofs_err *err)
{
    const size_t np = t->mlp->nparams;
    const ofs_lookahead *la = t->lookahead;
    ofs_status st;
    if (la && (la->n != np || !la->slow))
        return ofs__fail(err, OFS_ERR_ARG, "training: expected a Lookahead over the model's %lu parameters, found one over %lu%s",
                         (unsigned long)np, (unsigned long)la->n, la->slow ? "" : " (not initialised)");
    if (la && (st = ofs__lookahead_ready(la, t->mlp->params, "training: lookahead", err)) != OFS_OK) return st;
    if (t->sam && t->sam->n != np)
        return ofs__fail(err, OFS_ERR_ARG, "training: expected SAM over the model's %lu parameters, found one over %lu",
                         (unsigned long)np, (unsigned long)t->sam->n);
    return t->sam ? ofs__sam_ready(t->sam, t->mlp->params, "training: sam", err) : OFS_OK;
}

/* What an epoch needs of the trainer's fields before it starts: counters in range, and
   the average, accumulate and the wrappers matching the model. */
static ofs_status ofs__trainer_ready(ofs_trainer *t, ofs_err *err)
{
    const size_t np = t->mlp->nparams;
    if (t->epoch < 0 || t->step < 0 || t->epoch >= OFS_MAX_STEPS || t->step > OFS_MAX_STEPS - (int64_t)t->n)
        return ofs__fail(err, OFS_ERR_ARG, "training: expected epoch and step counters below 2^53, found epoch %lld and step %lld: "
                         "no further epoch can be run", (long long)t->epoch, (long long)t->step);
    if (t->average && !(t->average->n == np && t->average->avg && t->average_from >= 0 && t->average_every >= 1))
        return ofs__fail(err, OFS_ERR_ARG, "training: expected an average of the %lu parameters, average_from >= 0 and average_every "
                         ">= 1, found %lu values, %lld and %lld", (unsigned long)np, (unsigned long)t->average->n,
                         (long long)t->average_from, (long long)t->average_every);
    if (t->accumulate < 1)
        return ofs__fail(err, OFS_ERR_ARG, "training: expected accumulate >= 1 (micro-batches per step), found %d", t->accumulate);
    if (t->accumulate > INT_MAX / t->batch)
        return ofs__fail(err, OFS_ERR_ARG, "training: expected accumulate x batch at most %d rows, found %d x %d", INT_MAX,
                         t->accumulate, t->batch);
    if (t->sam) t->sam->adapt_n = t->mlp->nweights;
    return ofs__trainer_wrappers(t, err);
}

/* plain = 1 takes the plain loop of steps whatever the network: what the tests and
   bench_train compare the owned epoch with. */
static ofs_status ofs__trainer_epoch(ofs_trainer *t, const ofs_real *x, const unsigned char *y,
                                     ofs_epoch_stats *st, ofs_err *err, int plain)
{
    size_t i, start, correct, right = 0, per;
    double loss, sum = 0, clk = ofs__wtime();
    ofs_status s;
    OFS_ASSERT(t && t->order && x && y);
    if ((s = ofs__trainer_ready(t, err)) != OFS_OK) return s;
    per = (size_t)t->batch * (size_t)t->accumulate;
    for (i = 0; i < t->n; i++) t->order[i] = (uint32_t)i;
    ofs_rng_shuffle(&t->rng, t->order, t->n);
    if (st) memset(st, 0, sizeof *st);
    if (!plain && ofs__owned_ok(t)) {
        if ((s = ofs__owned_epoch(t, x, y, &sum, &right, err)) != OFS_OK) return s;
    } else {
        for (start = 0; start < t->n; start += per) {
            s = ofs__train_step(t, x, y, start, t->n - start < per ? t->n - start : per, &loss, &correct, &clk, err);
            if (s != OFS_OK) return s;
            sum += loss; right += correct;
        }
    }
    t->epoch++;
    if (st) {
        st->loss = sum / (double)t->n;
        st->accuracy = (double)right / (double)t->n;
        st->lr = t->opt[0].cfg.lr;
        st->steps = (int64_t)((t->n + per - 1) / per);
    }
    return ofs__ok(err);
}

OFSDEF ofs_status ofs_trainer_epoch(ofs_trainer *t, const ofs_real *x, const unsigned char *y,
                                    ofs_epoch_stats *st, ofs_err *err)
{
    return ofs__trainer_epoch(t, x, y, st, err, 0);
}

#ifndef OFS_NO_STDIO
/* Checkpoints. The payload (inside ofs_file_save's magic, kind, length, CRC-32):
       u64 version (2: weights out x in; 1 was in x out), u64 sizeof(ofs_real), u64 L, u64 sizes[0..L], u64 activation,
       u64 batch, u64 n, u64 groups, u64 offset[g]..., u64 epoch, u64 step, u64 rng[4],
       f64 params[nparams], then each group's ofs_optim_save, u64 averaged (0 or 1)
       and the weight average (ofs_average_save) when there is one; then (version 4)
       u64 accumulate, u64 lookahead (0 or 1) and ofs_lookahead_save, u64 sam (0 or 1)
       and ofs_sam_save (its settings: SAM keeps nothing across steps).
   Loading checks everything against the trainer first, reads the optimizer states,
   the average and the slow weights into fresh ones, and only when all is well
   replaces the parameters, optimizers, average, slow weights, counters and rng: a
   refused file leaves the trainer as it was. Versions 2 (no average) and 3 (no
   wrappers, accumulate 1) are still read.                                       */
#define OFS__FILE_CHECKPOINT 15u
#define OFS__CHECKPOINT_VERSION 4u

/* A checkpoint is written only when it would load: the parameters and every moment
   finite (a step can make them overflow while the loss that led to it was finite),
   the counters in range. Otherwise OFS_ERR_NONFINITE (or OFS_ERR_ARG), a message
   naming the file, and nothing is written: the previous checkpoint stays. */
static ofs_status ofs__trainer_savable(const ofs_trainer *t, const char *path, ofs_err *err)
{
    const ofs_mlp *m = t->mlp;
    size_t i = ofs__first_nonfinite(m->params, m->nparams);
    int g;
    ofs_status st;
    if (i < m->nparams)
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: refusing to save a checkpoint whose parameter %lu of %lu is %g (not a finite "
                         "number; the weights diverged at or before step %lld); nothing was written, the previous file is unchanged",
                         path, (unsigned long)i, (unsigned long)m->nparams, (double)m->params[i], (long long)t->step);
    if (t->epoch < 0 || t->step < 0 || t->epoch > OFS_MAX_STEPS || t->step > OFS_MAX_STEPS)
        return ofs__fail(err, OFS_ERR_ARG, "%s: refusing to save: expected epoch and step in [0, 2^53], found %lld and %lld; "
                         "nothing was written", path, (long long)t->epoch, (long long)t->step);
    for (g = 0; g < t->ngroups; g++)
        if ((st = ofs__optim_savable(&t->opt[g], path, err)) != OFS_OK) return st;
    if (t->average && (i = ofs__first_nonfinite(t->average->avg, t->average->n)) < t->average->n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: refusing to save a weight average whose value %lu is %g; nothing was written",
                         path, (unsigned long)i, (double)t->average->avg[i]);
    if (t->accumulate < 1 || t->accumulate > INT_MAX / t->batch)
        return ofs__fail(err, OFS_ERR_ARG, "%s: refusing to save accumulate %d with batch %d; nothing was written", path,
                         t->accumulate, t->batch);
    if ((st = ofs__trainer_wrappers(t, err)) != OFS_OK) return ofs__wrap(err, st, path);
    if (t->lookahead && (i = ofs__first_nonfinite(t->lookahead->slow, t->lookahead->n)) < t->lookahead->n)
        return ofs__fail(err, OFS_ERR_NONFINITE, "%s: refusing to save Lookahead's slow weight %lu, %g; nothing was written",
                         path, (unsigned long)i, (double)t->lookahead->slow[i]);
    return OFS_OK;
}

OFSDEF ofs_status ofs_trainer_save(const ofs_trainer *t, const char *path, ofs_err *err)
{
    const ofs_mlp *m = t->mlp;
    ofs_buf b = {NULL, 0, 0, 0};
    ofs_status st;
    int l, g;
    if ((st = ofs__trainer_savable(t, path, err)) != OFS_OK) return st;
    ofs_put_u64(&b, OFS__CHECKPOINT_VERSION);
    ofs_put_u64(&b, sizeof(ofs_real));
    ofs_put_u64(&b, (uint64_t)m->nlayers);
    for (l = 0; l <= m->nlayers; l++) ofs_put_u64(&b, (uint64_t)m->sizes[l]);
    ofs_put_u64(&b, (uint64_t)m->act);
    ofs_put_u64(&b, (uint64_t)t->batch);
    ofs_put_u64(&b, (uint64_t)t->n);
    ofs_put_u64(&b, (uint64_t)t->ngroups);
    for (g = 0; g < t->ngroups; g++) ofs_put_u64(&b, (uint64_t)t->offset[g]);
    ofs_put_u64(&b, (uint64_t)t->epoch);
    ofs_put_u64(&b, (uint64_t)t->step);
    for (l = 0; l < 4; l++) ofs_put_u64(&b, t->rng.s[l]);
    ofs_put_reals(&b, m->params, m->nparams);
    for (g = 0; g < t->ngroups; g++) ofs_optim_save(&t->opt[g], &b);
    ofs_put_u64(&b, t->average != NULL);
    if (t->average) ofs_average_save(t->average, &b);
    ofs_put_u64(&b, (uint64_t)t->accumulate);
    ofs_put_u64(&b, t->lookahead != NULL);
    if (t->lookahead) ofs_lookahead_save(t->lookahead, &b);
    ofs_put_u64(&b, t->sam != NULL);
    if (t->sam) {
        ofs_sam s = *t->sam;
        s.adapt_n = m->nweights;          /* what an epoch sets */
        ofs_sam_save(&s, &b);
    }
    st = ofs_file_save(path, OFS__FILE_CHECKPOINT, &b, err);
    ofs_buf_free(&b);
    return st;
}

/* "784-256-10" */
static void ofs__sizes_str(char *s, size_t cap, const uint64_t *sizes, int nsizes)
{
    size_t len = 0;
    int l;
    s[0] = 0;
    for (l = 0; l < nsizes && len + 24 < cap; l++)
        len += (size_t)sprintf(s + len, l ? "-%llu" : "%llu", (unsigned long long)sizes[l]);
}

/* The fixed-size header: everything but parameters and optimizer states. */
static ofs_status ofs__checkpoint_header(const ofs_trainer *t, ofs_reader *r, const char *path,
                                         int64_t *epoch, int64_t *step, ofs_rng *rng, ofs_err *err)
{
    const ofs_mlp *m = t->mlp;
    uint64_t v = ofs_get_u64(r), rs = ofs_get_u64(r), L = ofs_get_u64(r), sizes[OFS_MLP_MAX_LAYERS + 1], mine[OFS_MLP_MAX_LAYERS + 1];
    uint64_t act, batch, n, ng;
    char a[200], b[200];
    int l, same;
    if (r->failed) return ofs__fail(err, OFS_ERR_FORMAT, "%s: checkpoint truncated in its header", path);
    if (v < 2 || v > OFS__CHECKPOINT_VERSION)
        return ofs__fail(err, OFS_ERR_MISMATCH, "%s: expected checkpoint format version 2 to %u, found version %llu%s",
                         path, OFS__CHECKPOINT_VERSION, (unsigned long long)v,
                         v == 1 ? " (its weights are stored in x out; version 2 stores them out x in)" : "");
    if (rs != sizeof(ofs_real))
        return ofs__fail(err, OFS_ERR_MISMATCH, "%s: expected numbers of %u bytes (this build's ofs_real), found %llu-byte numbers: "
                         "the checkpoint comes from a build with the other OFS_REAL", path, (unsigned)sizeof(ofs_real), (unsigned long long)rs);
    if (L < 1 || L > OFS_MLP_MAX_LAYERS)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected 1 to %d layers, found %llu", path, OFS_MLP_MAX_LAYERS, (unsigned long long)L);
    for (l = 0; l <= (int)L; l++) sizes[l] = ofs_get_u64(r);
    for (l = 0; l <= m->nlayers; l++) mine[l] = (uint64_t)m->sizes[l];
    act = ofs_get_u64(r);
    if (r->failed) return ofs__fail(err, OFS_ERR_FORMAT, "%s: checkpoint truncated in its layer sizes", path);
    same = L == (uint64_t)m->nlayers && act == (uint64_t)m->act;
    for (l = 0; same && l <= (int)L; l++) same = sizes[l] == mine[l];
    if (!same) {
        ofs__sizes_str(a, sizeof a, mine, m->nlayers + 1);
        ofs__sizes_str(b, sizeof b, sizes, (int)L + 1);
        return ofs__fail(err, OFS_ERR_MISMATCH, "%s: expected a %s %s network, found a checkpoint of a %s %s network", path,
                         a, ofs_act_name(m->act), b, ofs_act_name(act < OFS_ACT_COUNT ? (ofs_act)act : OFS_ACT_COUNT));
    }
    batch = ofs_get_u64(r); n = ofs_get_u64(r); ng = ofs_get_u64(r);
    if (r->failed) return ofs__fail(err, OFS_ERR_FORMAT, "%s: checkpoint truncated in its training settings", path);
    if (batch != (uint64_t)t->batch || n != (uint64_t)t->n)
        return ofs__fail(err, OFS_ERR_MISMATCH, "%s: expected a run with batch %d over %lu examples, found batch %llu over %llu",
                         path, t->batch, (unsigned long)t->n, (unsigned long long)batch, (unsigned long long)n);
    if (ng != (uint64_t)t->ngroups)
        return ofs__fail(err, OFS_ERR_MISMATCH, "%s: expected %d parameter group(s) (%s), found %llu", path, t->ngroups,
                         t->ngroups > 2 ? "one per weight matrix, then the biases" : t->ngroups == 2 ? "no weight decay on biases"
                         : "one optimizer for all", (unsigned long long)ng);
    for (l = 0; l < t->ngroups; l++)
        if (ofs_get_u64(r) != (uint64_t)t->offset[l] && !r->failed)
            return ofs__fail(err, OFS_ERR_MISMATCH, "%s: parameter group %d starts elsewhere", path, l);
    batch = ofs_get_u64(r);       /* the epoch */
    n = ofs_get_u64(r);           /* the step */
    for (l = 0; l < 4; l++) rng->s[l] = ofs_get_u64(r);
    if (r->failed) return ofs__fail(err, OFS_ERR_FORMAT, "%s: checkpoint truncated in its counters", path);
    if (batch > (uint64_t)OFS_MAX_STEPS || n > (uint64_t)OFS_MAX_STEPS)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected an epoch and a step in [0, 2^53], found epoch %lld and step %lld",
                         path, (long long)batch, (long long)n);
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected a random-number state that is not all zero (xoshiro256** would "
                         "stay at zero), found all four words 0", path);
    *epoch = (int64_t)batch; *step = (int64_t)n;
    return ofs__ok(err);
}

/* Read each group's optimizer state into a fresh optimizer like the trainer's, then
   (version 3 on) the weight average into a fresh one like the trainer's. */
static ofs_status ofs__checkpoint_optims(const ofs_trainer *t, ofs_reader *r, const char *path, ofs_optim *fresh,
                                         int v3, ofs_average *avg, ofs_err *err)
{
    ofs_status st = OFS_OK;
    uint64_t has = 0;
    int g;
    char which[64];
    for (g = 0; g < t->ngroups && st == OFS_OK; g++) {
        st = ofs_optim_init_shape(&fresh[g], &t->opt[g].cfg, t->opt[g].n, t->opt[g].rows, t->opt[g].cols, err);
        if (st == OFS_OK) st = ofs_optim_load(&fresh[g], r, err);
    }
    sprintf(which, "parameter group %d (%s)", g - 1, g == t->ngroups ? "biases" : "weights");
    if (st != OFS_OK && t->ngroups > 1) ofs__wrap(err, st, which);
    if (st == OFS_OK && v3 && (has = ofs_get_u64(r)) > 1)
        st = ofs__fail(err, OFS_ERR_FORMAT, "expected the flag of a weight average, 0 or 1, found %llu", (unsigned long long)has);
    else if (st == OFS_OK && has != (uint64_t)(t->average != NULL))
        st = ofs__fail(err, OFS_ERR_MISMATCH, has ? "the checkpoint holds a weight average, this trainer keeps none"
                                                  : "expected a weight average (this trainer keeps one), found none");
    if (st == OFS_OK && has && (st = ofs_average_init(avg, t->average->n, t->average->decay, err)) == OFS_OK)
        st = ofs_average_load(avg, r, err);
    if (st != OFS_OK) ofs__wrap(err, st, path);
    return st;
}

/* A flag of version 4's, 0 or 1, against whether the trainer has the thing (what). */
static ofs_status ofs__checkpoint_flag(ofs_reader *r, int mine, const char *what, ofs_err *err)
{
    const uint64_t has = ofs_get_u64(r);
    if (r->failed) return ofs__fail(err, OFS_ERR_FORMAT, "truncated before the flag of %s", what);
    if (has > 1) return ofs__fail(err, OFS_ERR_FORMAT, "expected the flag of %s, 0 or 1, found %llu", what, (unsigned long long)has);
    if (has != (uint64_t)mine)
        return ofs__fail(err, OFS_ERR_MISMATCH, mine ? "expected %s (this trainer has one), found none"
                                                     : "the checkpoint holds %s, this trainer has none", what);
    return OFS_OK;
}

/* Version 4's tail: accumulate, then Lookahead's state into a fresh one (la), SAM's
   settings checked against the trainer's. Versions 2 and 3 are runs without wrappers
   and with accumulate 1: a trainer with either refuses them. */
static ofs_status ofs__checkpoint_wrappers(const ofs_trainer *t, ofs_reader *r, uint64_t version, ofs_lookahead *la,
                                           ofs_err *err)
{
    const uint64_t acc = version >= 4 ? ofs_get_u64(r) : 1;
    ofs_sam sam;
    ofs_status st;
    if (r->failed) return ofs__fail(err, OFS_ERR_FORMAT, "truncated before accumulate");
    if (acc != (uint64_t)t->accumulate)
        return ofs__fail(err, OFS_ERR_MISMATCH, "expected a run with accumulate %d (micro-batches per step), found accumulate %llu",
                         t->accumulate, (unsigned long long)acc);
    if (version < 4 && (t->lookahead || t->sam))
        return ofs__fail(err, OFS_ERR_MISMATCH, "expected a run with %s, found a checkpoint of format version %llu (no wrappers)",
                         t->lookahead ? "Lookahead" : "SAM", (unsigned long long)version);
    if (version < 4) return OFS_OK;
    if ((st = ofs__checkpoint_flag(r, t->lookahead != NULL, "Lookahead's state", err)) != OFS_OK) return st;
    if (t->lookahead) {
        la->cfg = t->lookahead->cfg; la->n = t->lookahead->n;
        if (!(la->slow = (ofs_real *)ofs__alloc(la->n, sizeof(ofs_real))))
            return ofs__fail(err, OFS_ERR_NOMEM, "cannot allocate %lu slow weights", (unsigned long)la->n);
        if ((st = ofs_lookahead_load(la, r, err)) != OFS_OK) return st;
    }
    if ((st = ofs__checkpoint_flag(r, t->sam != NULL, "SAM's settings", err)) != OFS_OK || !t->sam) return st;
    sam = *t->sam;
    sam.adapt_n = t->mlp->nweights;       /* what an epoch sets */
    return ofs_sam_load(&sam, r, err);
}

OFSDEF ofs_status ofs_trainer_load_payload(ofs_trainer *t, const unsigned char *data, size_t len, const char *path, ofs_err *err)
{
    ofs_mlp *m = t->mlp;
    ofs_reader r;
    ofs_optim fresh[OFS_TRAINER_MAX_GROUPS];
    ofs_average avg;
    ofs_lookahead la;
    int64_t epoch = 0, step = 0;
    ofs_rng rng;
    size_t at, i = 0;
    double v = 0;
    uint64_t version;
    int g, bad = 0;
    ofs_status st;
    memset(fresh, 0, sizeof fresh);
    memset(&avg, 0, sizeof avg);
    memset(&la, 0, sizeof la);
    r.data = data; r.len = len; r.pos = 0; r.failed = 0;
    version = ofs_get_u64(&r);                      /* the header checks it */
    r.pos = 0; r.failed = 0;
    st = ofs__checkpoint_header(t, &r, path, &epoch, &step, &rng, err);
    at = r.pos;                                     /* the parameters, read last */
    if (st == OFS_OK && (bad = ofs__reals_check(r, m->nparams, 0, &i, &v)) < 0)
        st = ofs__fail(err, OFS_ERR_FORMAT, "%s: checkpoint truncated in its %lu parameters", path, (unsigned long)m->nparams);
    else if (st == OFS_OK && bad > 0)
        st = ofs__fail(err, OFS_ERR_FORMAT, "%s: expected finite parameters, found %g at parameter %lu of %lu", path, v,
                       (unsigned long)i, (unsigned long)m->nparams);
    if (st == OFS_OK) {
        r.pos += 8 * m->nparams;
        st = ofs__checkpoint_optims(t, &r, path, fresh, version >= 3, &avg, err);
    }
    if (st == OFS_OK && (st = ofs__checkpoint_wrappers(t, &r, version, &la, err)) != OFS_OK) ofs__wrap(err, st, path);
    if (st == OFS_OK && r.pos != r.len)
        st = ofs__fail(err, OFS_ERR_FORMAT, "%s: %lu bytes left over after the checkpoint", path, (unsigned long)(r.len - r.pos));
    if (st == OFS_OK) {
        r.pos = at;
        ofs_get_reals(&r, m->params, m->nparams);
        for (g = 0; g < t->ngroups; g++) {      /* move the fresh states in */
            ofs_optim_free(&t->opt[g]);
            t->opt[g] = fresh[g];
            memset(&fresh[g], 0, sizeof fresh[g]);
        }
        if (avg.avg) { memcpy(t->average->avg, avg.avg, avg.n * sizeof(ofs_real)); t->average->count = avg.count; }
        if (la.slow) { memcpy(t->lookahead->slow, la.slow, la.n * sizeof(ofs_real)); t->lookahead->count = la.count; }
        t->epoch = epoch; t->step = step; t->rng = rng;
        st = ofs__ok(err);
    }
    for (g = 0; g < OFS_TRAINER_MAX_GROUPS; g++) ofs_optim_free(&fresh[g]);
    if (avg.avg) ofs_average_free(&avg);
    if (la.slow) ofs_lookahead_free(&la);
    return st;
}

OFSDEF ofs_status ofs_trainer_load(ofs_trainer *t, const char *path, ofs_err *err)
{
    ofs_buf b;
    ofs_status st = ofs_file_load(path, OFS__FILE_CHECKPOINT, &b, err);
    if (st != OFS_OK) return st;
    st = ofs_trainer_load_payload(t, b.data, b.len, path, err);
    ofs_buf_free(&b);
    return st;
}
#endif /* OFS_NO_STDIO */

/* ==== Appendix A: the fast matrix product ========================================= */
/* The book's ofs__gemm_book reads all of B for every row of A, and its inner loop
   waits on memory more than it computes. A processor that does two 16-wide fused
   multiply-adds per cycle needs its operands in registers, and in the nearest cache
   when they are not. This appendix computes the same C with three ideas, the classic
   ones of BLAS libraries:

   - Register blocking. A micro-kernel keeps an mr x nr block of C in vector
     registers (mr = 12 rows and nr = 2 vectors on AVX-512: 24 of its 32 registers)
     and, for each k, loads two vectors of B and broadcasts one number of A per row:
     24 multiply-adds for 14 loads, so the arithmetic units never wait.
   - Packing. The kc x nr panel of B the kernel walks is first copied into a
     contiguous buffer (kc rows of one vector each), which then stays in the L1
     cache while every row panel of A streams past it. A transposed B (the X W^T of
     every forward pass) is transposed into it 16 x 16 numbers at a time in registers.
   - Cache blocking. K is cut into balanced blocks of at most OFS__GEMM_KC terms,
     rows into blocks of 32 row panels (that block of A stays in L2).

   The kernels are written with explicit vector types (GCC and Clang's vector
   extensions, fused multiply-add through the processor's intrinsics), so the width
   does not depend on the compiler's taste (-march=native on some Intel parts
   prefers 256-bit vectors) or on the flags at all: each is compiled for its
   instruction set with a target attribute, and ofs_gemm picks, once, the widest the
   processor runs (__builtin_cpu_supports). Other compilers and processors get the
   generic kernel: the same loops over lanes in plain C, which they vectorize as
   they can. ofs_gemm_kernel() names the kernel in use; ofs_gemm_set_kernel()
   forces one (the tests run each).

   How it is checked. Each element of C is a sum of K products; a kernel adds them
   in k order within a depth block and the blocks one after the other, the book in
   plain k order: the same sum in another order, so equal only within float rounding,
   which tests/test_gemm.c checks for every kernel against a sum in double. All
   kernels but the book add in the same order with fused multiply-adds, so the
   generic, AVX2 and AVX-512 kernels give the same bits wherever the generic one is
   compiled with hardware FMA. */

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__clang__) ? __clang_major__ >= 8 : __GNUC__ >= 7)
#define OFS__X86_SIMD 1
#include <immintrin.h>
#else
#define OFS__X86_SIMD 0
#endif

/* The roots of a block (chapter 0). SSE2's sqrtps and sqrtpd, which every x86-64
   processor has, compute IEEE's correctly rounded root, as sqrtf and sqrt do, four
   floats or two doubles at a time, and set no errno. Elsewhere, and when the build
   says -fno-math-errno (the compiler then vectorizes the plain loop as wide as it
   may), the plain loop. tests/test_optim.c checks both against OFS__SQRT on every
   class of number (zeros, subnormals, negatives, infinities, NaNs). */
static void ofs__sqrt_n(ofs_real *x, size_t n)
{
    size_t i = 0;
#if OFS__X86_SIMD && defined(__SSE2__) && OFS__MATH_ERRNO
    if (sizeof(ofs_real) == sizeof(float))
        for (; i + 4 <= n; i += 4) _mm_storeu_ps((float *)x + i, _mm_sqrt_ps(_mm_loadu_ps((const float *)x + i)));
    else
        for (; i + 2 <= n; i += 2) _mm_storeu_pd((double *)x + i, _mm_sqrt_pd(_mm_loadu_pd((const double *)x + i)));
#endif
    for (; i < n; i++) x[i] = OFS__SQRT(x[i]);
}

/* Register and cache blocks. KC: depth of a block; MC: rows of A per block, in row
   panels; the packed B panel (KC x 2 vectors) is the largest stack object. */
#ifndef OFS__GEMM_KC
#define OFS__GEMM_KC 400
#endif
#define OFS__GEMM_MAXVL (64 / (int)sizeof(ofs_real))      /* lanes of the widest vector */
#define OFS__MR2(mr) ((mr) * 2 / 3 > 0 ? (mr) * 2 / 3 : 1)  /* smaller panels for the last rows */
#define OFS__MR3(mr) ((mr) / 3 > 0 ? (mr) / 3 : 1)
/* Products with fewer multiply-adds (M*N*K) than this run on one thread: starting a
   parallel region costs a few microseconds, a 10^6 multiply-add product on one core. */
#ifndef OFS__GEMM_PAR_MIN
#define OFS__GEMM_PAR_MIN 1e6
#endif

/* The generic kernel's vector, from the compile target (16 bytes: SSE, NEON). */
#ifndef OFS__GEMM_VBYTES
#  if defined(__AVX512F__)
#    define OFS__GEMM_VBYTES 64
#  elif defined(__AVX__)
#    define OFS__GEMM_VBYTES 32
#  else
#    define OFS__GEMM_VBYTES 16
#  endif
#endif
#ifndef OFS__GEMM_MR
#  if defined(__AVX512F__) || defined(__aarch64__)
#    define OFS__GEMM_MR 12
#  else
#    define OFS__GEMM_MR 6
#  endif
#endif
#if OFS__GEMM_MR < 1 || OFS__GEMM_MR > 16
#error "OFS__GEMM_MR must be in 1..16 (the kernels spell out 16 rows)"
#endif
#define OFS__GEMM_VL ((int)(OFS__GEMM_VBYTES / sizeof(ofs_real)))

/* GCC completely unrolls loops of up to 16 iterations before vectorizing them, which
   for the generic kernel's lane loops gives scalar code with the accumulators in
   memory (20x slower); kept rolled, each becomes one vector operation. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define OFS__LANE_LOOP _Pragma("GCC unroll 1")
#if defined(__OPTIMIZE__)   /* (without optimization GCC warns that it ignores the request) */
#define OFS__UNROLL _Pragma("GCC unroll 16")
#else
#define OFS__UNROLL
#endif
#elif defined(__clang__)
#define OFS__LANE_LOOP
#define OFS__UNROLL _Pragma("unroll")
#else
#define OFS__LANE_LOOP
#define OFS__UNROLL
#endif

/* A kernel computes the mr x (nv vectors) block acc = sum_{k < kc} a(i,k) b(k,j),
   a(i,k) = a[i*rsa + k*csa] (one stride is the literal 1 at every call), b packed
   (sub-panel v at b + v*bstr: kc rows of one vector), and stores c = acc (beta 0)
   or fma(beta, c, acc). mr and nv are constants where it is inlined; the rows are
   spelled out so that the compiler cannot interchange the row and k loops, and the
   accumulators stay in registers. */
#define OFS__ROWS(X, W) X(0, W) X(1, W) X(2, W) X(3, W) X(4, W) X(5, W) X(6, W) X(7, W) \
                        X(8, W) X(9, W) X(10, W) X(11, W) X(12, W) X(13, W) X(14, W) X(15, W)
#define OFS__KERNEL_ARGS int kc, const ofs_real *OFS__RESTRICT a, ptrdiff_t rsa, ptrdiff_t csa, \
                         const ofs_real *OFS__RESTRICT b, ptrdiff_t bstr, ofs_real *OFS__RESTRICT c, ptrdiff_t ldc, \
                         ofs_real beta, const int mr, const int nv

static OFS__INLINE void ofs__kern_generic(OFS__KERNEL_ARGS)
{
    ofs_real acc[16][2 * OFS__GEMM_VL];
    int i, v, l, k;
    for (i = 0; i < mr; ++i)
        for (v = 0; v < nv; ++v)
            OFS__LANE_LOOP for (l = 0; l < OFS__GEMM_VL; ++l) acc[i][v * OFS__GEMM_VL + l] = 0;
    for (k = 0; k < kc; ++k) {
        const ofs_real *OFS__RESTRICT ak = a + k * csa, *OFS__RESTRICT bk = b + (ptrdiff_t)k * OFS__GEMM_VL;
#define OFS__GENERIC_STEP(r, W)                                                                       \
        if ((r) < mr)                                                                                 \
            for (v = 0; v < nv; ++v)                                                                  \
                OFS__LANE_LOOP for (l = 0; l < OFS__GEMM_VL; ++l)                                     \
                    acc[r][v * OFS__GEMM_VL + l] = ofs__fma(ak[(r) * rsa], bk[v * bstr + l], acc[r][v * OFS__GEMM_VL + l]);
        OFS__ROWS(OFS__GENERIC_STEP, 0)
#undef OFS__GENERIC_STEP
    }
    for (i = 0; i < mr; ++i)
        for (v = 0; v < nv; ++v)
            OFS__LANE_LOOP for (l = 0; l < OFS__GEMM_VL; ++l) {
                ofs_real *cl = c + i * ldc + v * OFS__GEMM_VL + l;
                *cl = beta == 0 ? acc[i][v * OFS__GEMM_VL + l] : ofs__fma(beta, *cl, acc[i][v * OFS__GEMM_VL + l]);
            }
}

#if OFS__X86_SIMD
/* One vector of W bits, and its load, store, broadcast and fused multiply-add,
   for float or double (the other branch of each is never taken). */
#define OFS__SIMD_OPS(W, TGT, P, TS, TD)                                                                      \
    typedef ofs_real ofs__v##W __attribute__((vector_size(W / 8)));                                  \
    TGT static OFS__INLINE ofs__v##W ofs__ld##W(const ofs_real *p) {                                 \
        return sizeof(ofs_real) == 4 ? (ofs__v##W)P##_loadu_ps((const float *)p) : (ofs__v##W)P##_loadu_pd((const double *)p); } \
    TGT static OFS__INLINE void ofs__st##W(ofs_real *p, ofs__v##W x) {                               \
        if (sizeof(ofs_real) == 4) P##_storeu_ps((float *)p, (TS)x);      \
        else P##_storeu_pd((double *)p, (TD)x); }                         \
    TGT static OFS__INLINE ofs__v##W ofs__set1##W(ofs_real s) {                                      \
        return sizeof(ofs_real) == 4 ? (ofs__v##W)P##_set1_ps((float)s) : (ofs__v##W)P##_set1_pd((double)s); } \
    TGT static OFS__INLINE ofs__v##W ofs__fma##W(ofs__v##W x, ofs__v##W y, ofs__v##W z) {            \
        return sizeof(ofs_real) == 4                                                                  \
            ? (ofs__v##W)P##_fmadd_ps((TS)x, (TS)y, (TS)z) \
            : (ofs__v##W)P##_fmadd_pd((TD)x, (TD)y, (TD)z); }

#define OFS__SIMD_ZERO(r, W) if ((r) < mr) x[r] = y[r] = ofs__set1##W(0);
#define OFS__SIMD_STEP(r, W)                                                                          \
    if ((r) < mr) {                                                                                   \
        const ofs__v##W ar = ofs__set1##W(ak[(r) * rsa]);                                             \
        x[r] = ofs__fma##W(ar, b0, x[r]);                                                             \
        if (nv > 1) y[r] = ofs__fma##W(ar, b1, y[r]);                                                 \
    }
#define OFS__SIMD_STORE(r, W)                                                                         \
    if ((r) < mr) {                                                                                   \
        ofs_real *cr = c + (r) * ldc;                                                                 \
        ofs__st##W(cr, beta == 0 ? x[r] : ofs__fma##W(bb, ofs__ld##W(cr), x[r]));                     \
        if (nv > 1) ofs__st##W(cr + vl, beta == 0 ? y[r] : ofs__fma##W(bb, ofs__ld##W(cr + vl), y[r])); \
    }
#define OFS__SIMD_KERNEL(W, TGT)                                                                      \
    TGT static OFS__INLINE void ofs__kern##W(OFS__KERNEL_ARGS)                                        \
    {                                                                                                 \
        const int vl = W / 8 / (int)sizeof(ofs_real);                                                 \
        ofs__v##W x[16], y[16], bb = ofs__set1##W(beta);                                              \
        int k;                                                                                        \
        OFS__ROWS(OFS__SIMD_ZERO, W)                                                                  \
        for (k = 0; k < kc; ++k) {                                                                    \
            const ofs_real *OFS__RESTRICT ak = a + k * csa;                                           \
            const ofs__v##W b0 = ofs__ld##W(b + (ptrdiff_t)k * vl), b1 = nv > 1 ? ofs__ld##W(b + bstr + (ptrdiff_t)k * vl) : b0; \
            OFS__ROWS(OFS__SIMD_STEP, W)                                                              \
        }                                                                                             \
        OFS__ROWS(OFS__SIMD_STORE, W)                                                                 \
    }
#define OFS__T512 __attribute__((target("avx512f")))
#define OFS__T256 __attribute__((target("avx2,fma")))
OFS__SIMD_OPS(512, OFS__T512, _mm512, __m512, __m512d)
OFS__SIMD_OPS(256, OFS__T256, _mm256, __m256, __m256d)
OFS__SIMD_KERNEL(512, OFS__T512)
OFS__SIMD_KERNEL(256, OFS__T256)

/* The plain pack of a full sub-panel, dst[k*vl + j] = src[k*rs + j]: one vector
   per row (a call to memcpy for 64 bytes costs more than the copy). */
#define OFS__PACK_N(W, TGT)                                                                           \
    TGT static void ofs__pack_n##W(int kc, const ofs_real *src, ptrdiff_t rs, ofs_real *dst)          \
    {                                                                                                 \
        const int vl = W / 8 / (int)sizeof(ofs_real);                                                 \
        int k;                                                                                        \
        for (k = 0; k < kc; k++) ofs__st##W(dst + (ptrdiff_t)k * vl, ofs__ld##W(src + k * rs));       \
    }
OFS__PACK_N(512, OFS__T512)
OFS__PACK_N(256, OFS__T256)

/* The transposing pack of a full sub-panel, dst[k*vl + j] = src[j*cs + k] (a scalar
   loop spends a load and a store on each number: a fifth of a product whose B is
   transposed). AVX-512 moves whole vl x vl blocks: vl row loads, a transpose in
   registers, vl stores. The transpose swaps the two off-diagonal halves of every
   2b x 2b block, for b = vl/2, vl/4, ..., 1: rows r and r + b (r without bit b)
   exchange the columns with bit b set in r for those without it in r + b, one
   two-source permutation each. The last kc % vl rows are gathered, one gather per
   row of the panel. The vl source rows are vl streams too many for the hardware
   prefetchers (in the epoch half of them were just written by the other core), so
   each load asks for the same row two blocks on: the forward product took 3.5% less
   inside the epoch, 1% less alone. */
OFS__T512 static void ofs__pack_t512(int kc, const ofs_real *src, ptrdiff_t cs, ofs_real *dst)
{
    const int vl = 64 / (int)sizeof(ofs_real);
    int ix[4][2][16], k, j, b, q, c;   /* per level: the permutations for row r and for row r + b */
    long long lx[3][2][8];             /* the same as 64-bit indices, for double */
    ofs__v512 v[16];
    for (b = vl / 2, q = 0; b >= 1; b /= 2, q++)
        for (c = 0; c < vl; c++) {
            ix[q][0][c] = c & b ? vl + c - b : c;
            ix[q][1][c] = c & b ? vl + c : c + b;
            if (vl == 8) { lx[q][0][c] = ix[q][0][c]; lx[q][1][c] = ix[q][1][c]; }
        }
    for (k = 0; k + vl <= kc; k += vl) {
        OFS__UNROLL for (j = 0; j < vl; j++) {
            v[j] = ofs__ld512(src + j * cs + k);
            if (k + 2 * vl < kc) __builtin_prefetch(src + j * cs + k + 2 * vl);   /* two blocks ahead */
        }
        OFS__UNROLL for (q = 0; q < (vl == 16 ? 4 : 3); q++) {   /* log2(vl) levels */
            const int bq = vl / 2 >> q;
            OFS__UNROLL for (c = 0; c < vl / 2; c++) {
                const int r = c / bq * 2 * bq + c % bq;   /* the c-th row without bit bq */
                if (sizeof(ofs_real) == 4) {
                    const __m512 x = (__m512)v[r], y = (__m512)v[r + bq];
                    v[r] = (ofs__v512)_mm512_permutex2var_ps(x, _mm512_loadu_si512((const void *)ix[q][0]), y);
                    v[r + bq] = (ofs__v512)_mm512_permutex2var_ps(x, _mm512_loadu_si512((const void *)ix[q][1]), y);
                } else {
                    const __m512d x = (__m512d)v[r], y = (__m512d)v[r + bq];
                    v[r] = (ofs__v512)_mm512_permutex2var_pd(x, _mm512_loadu_si512((const void *)lx[q][0]), y);
                    v[r + bq] = (ofs__v512)_mm512_permutex2var_pd(x, _mm512_loadu_si512((const void *)lx[q][1]), y);
                }
            }
        }
        for (j = 0; j < vl; j++) ofs__st512(dst + (ptrdiff_t)(k + j) * vl, v[j]);
    }
    for (j = 0; j < 16; j++) ix[0][0][j] = j * (int)cs;   /* now the gather's offsets */
    if (sizeof(ofs_real) == 4) {
        const __m512i g = _mm512_loadu_si512((const void *)ix[0][0]);
        for (; k < kc; k++)   /* all lanes: the masked form, whose source is defined */
            _mm512_storeu_ps((float *)dst + k * 16,
                             _mm512_mask_i32gather_ps(_mm512_setzero_ps(), (__mmask16)0xFFFF, g, (const float *)src + k, 4));
    } else {
        const __m256i g = _mm256_loadu_si256((const __m256i *)(const void *)ix[0][0]);
        for (; k < kc; k++)
            _mm512_storeu_pd((double *)dst + k * 8,
                             _mm512_mask_i32gather_pd(_mm512_setzero_pd(), (__mmask8)0xFF, g, (const double *)src + k, 8));
    }
}
OFS__T256 static void ofs__pack_t256(int kc, const ofs_real *src, ptrdiff_t cs, ofs_real *dst)
{
    int idx[8], k, j;
    for (j = 0; j < 8; j++) idx[j] = j * (int)cs;
    if (sizeof(ofs_real) == 4) {
        const __m256i ix = _mm256_loadu_si256((const __m256i *)(const void *)idx);
        const __m256 all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));   /* every lane, as above */
        for (k = 0; k < kc; k++)
            _mm256_storeu_ps((float *)dst + k * 8, _mm256_mask_i32gather_ps(_mm256_setzero_ps(), (const float *)src + k, ix, all, 4));
    } else {
        const __m128i ix = _mm_loadu_si128((const __m128i *)(const void *)idx);
        const __m256d all = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
        for (k = 0; k < kc; k++)
            _mm256_storeu_pd((double *)dst + k * 4, _mm256_mask_i32gather_pd(_mm256_setzero_pd(), (const double *)src + k, ix, all, 8));
    }
}
#endif

/* A kernel for each shape the block loop asks for: mk in {mr, MR2, MR3} rows, nv in
   {1, 2} vectors; lay 0: a(i,k) at a[i*ars + k], 1: at a[i + k*ars]. */
typedef void (*ofs__micro_fn)(int lay, int mk, int nv, int kc, const ofs_real *a, ptrdiff_t ars, const ofs_real *b,
                              ptrdiff_t bstr, ofs_real *c, ptrdiff_t ldc, ofs_real beta);
#define OFS__MICRO_K(KERN, MK, NV)                                                                    \
    do {                                                                                              \
        if (lay == 0) KERN(kc, a, ars, 1, b, bstr, c, ldc, beta, MK, NV);                             \
        else KERN(kc, a, 1, ars, b, bstr, c, ldc, beta, MK, NV);                                      \
    } while (0)
#define OFS__MICRO_DEF(NAME, KERN, TGT, MR)                                                           \
    TGT static void NAME(int lay, int mk, int nv, int kc, const ofs_real *a, ptrdiff_t ars, const ofs_real *b, \
                         ptrdiff_t bstr, ofs_real *c, ptrdiff_t ldc, ofs_real beta)                   \
    {                                                                                                 \
        if (nv == 2) {                                                                                \
            if (mk == (MR)) OFS__MICRO_K(KERN, MR, 2);                                                \
            else if (mk == OFS__MR2(MR)) OFS__MICRO_K(KERN, OFS__MR2(MR), 2);                         \
            else OFS__MICRO_K(KERN, OFS__MR3(MR), 2);                                                 \
        } else {                                                                                      \
            if (mk == (MR)) OFS__MICRO_K(KERN, MR, 1);                                                \
            else if (mk == OFS__MR2(MR)) OFS__MICRO_K(KERN, OFS__MR2(MR), 1);                         \
            else OFS__MICRO_K(KERN, OFS__MR3(MR), 1);                                                 \
        }                                                                                             \
    }
#define OFS__NO_TARGET
OFS__MICRO_DEF(ofs__micro_generic, ofs__kern_generic, OFS__NO_TARGET, OFS__GEMM_MR)
#if OFS__X86_SIMD
OFS__MICRO_DEF(ofs__micro512, ofs__kern512, OFS__T512, 12)
OFS__MICRO_DEF(ofs__micro256, ofs__kern256, OFS__T256, 6)
#endif

/* The kernels, in order of preference (the last one the processor runs is chosen).
   "book" is no kernel: ofs__gemm_range then runs chapter 15's loop. */
typedef struct ofs__kern {
    const char *name;
    ofs__micro_fn micro;   /* NULL: the book's loop */
    int vbytes, mr;        /* bytes per vector, rows of a full panel */
    int (*runs)(void);     /* does this processor run it */
    void (*pack_t)(int kc, const ofs_real *src, ptrdiff_t cs, ofs_real *dst);   /* NULL: the loop */
    void (*pack_n)(int kc, const ofs_real *src, ptrdiff_t rs, ofs_real *dst);   /* NULL: memcpy */
} ofs__kern;
static int ofs__runs_always(void) { return 1; }
#if OFS__X86_SIMD
static int ofs__runs_avx2(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
static int ofs__runs_avx512(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx512f"); }
#endif
static const ofs__kern ofs__kerns[] = {
    {"book", NULL, 64, 12, ofs__runs_always, NULL, NULL},
    {"generic", ofs__micro_generic, OFS__GEMM_VBYTES, OFS__GEMM_MR, ofs__runs_always, NULL, NULL},
#if OFS__X86_SIMD
    {"avx2", ofs__micro256, 32, 6, ofs__runs_avx2, ofs__pack_t256, ofs__pack_n256},
    {"avx512", ofs__micro512, 64, 12, ofs__runs_avx512, ofs__pack_t512, ofs__pack_n512},
#endif
};
#define OFS__NKERNS ((int)(sizeof ofs__kerns / sizeof ofs__kerns[0]))
static int ofs__kern_chosen = -1;   /* the one process-wide setting: which kernel */

static const ofs__kern *ofs__kern_get(void)
{
    int k;
    if (ofs__kern_chosen < 0) {
        for (k = OFS__NKERNS - 1; k > 0 && !ofs__kerns[k].runs(); k--) {}
        ofs__kern_chosen = k;
    }
    return &ofs__kerns[ofs__kern_chosen];
}

OFSDEF const char *ofs_gemm_kernel(void) { return ofs__kern_get()->name; }

OFSDEF ofs_status ofs_gemm_set_kernel(const char *name, ofs_err *err)
{
    char names[128] = "auto";
    int k;
    if (name && strcmp(name, "auto") == 0) { ofs__kern_chosen = -1; (void)ofs__kern_get(); return ofs__ok(err); }
    for (k = 0; k < OFS__NKERNS; k++) {
        if (name && strcmp(name, ofs__kerns[k].name) == 0) {
            if (!ofs__kerns[k].runs())
                return ofs__fail(err, OFS_ERR_UNSUPPORTED, "matrix kernel \"%s\": this processor does not run it (it runs %s)",
                                 name, ofs_gemm_kernel());
            ofs__kern_chosen = k;
            return ofs__ok(err);
        }
        strcat(strcat(names, ", "), ofs__kerns[k].name);
    }
    return ofs__fail(err, OFS_ERR_ARG, "unknown matrix kernel \"%s\": expected one of %s", name ? name : "(null)", names);
}

/* The tests' yardstick: each sum in double, then rounded once. */
OFSDEF void ofs_gemm_ref(int trans_a, int trans_b, int M, int N, int K, const ofs_real *A, const ofs_real *B,
                         ofs_real beta, ofs_real *C)
{
    int i, j, k;
    for (i = 0; i < M; ++i)
        for (j = 0; j < N; ++j) {
            double s = 0.0;
            for (k = 0; k < K; ++k)
                s += (double)(trans_a ? A[(ptrdiff_t)k * M + i] : A[(ptrdiff_t)i * K + k]) *
                     (double)(trans_b ? B[(ptrdiff_t)j * K + k] : B[(ptrdiff_t)k * N + j]);
            if (beta != (ofs_real)0) s += (double)beta * (double)C[(ptrdiff_t)i * N + j];
            C[(ptrdiff_t)i * N + j] = (ofs_real)s;
        }
}

/* Pack the kc x w block of op(B) whose (k,j) element is src[k*rs + j*cs] into one
   sub-panel, dst[k*vl + j], zero-padded to vl columns. */
static void ofs__gemm_pack_b(const ofs__kern *kn, int kc, int w, int vl, const ofs_real *OFS__RESTRICT src,
                             ptrdiff_t rs, ptrdiff_t cs, ofs_real *OFS__RESTRICT dst)
{
    int k, j;
    if (w == vl && cs == 1 && kn->pack_n) {
        kn->pack_n(kc, src, rs, dst);
    } else if (w == vl && cs == 1) {
        for (k = 0; k < kc; ++k) memcpy(dst + k * vl, src + k * rs, (size_t)vl * sizeof(ofs_real));
    } else if (w == vl && rs == 1 && kn->pack_t && cs <= 0x7FFFFFFF / 16) {
        kn->pack_t(kc, src, cs, dst);
    } else if (w == vl && rs == 1) {   /* a transpose: j outside, k vectorized */
        for (j = 0; j < vl; ++j)
            for (k = 0; k < kc; ++k) dst[k * vl + j] = src[j * cs + k];
    } else {
        memset(dst, 0, (size_t)kc * (size_t)vl * sizeof(ofs_real));
        for (k = 0; k < kc; ++k)
            for (j = 0; j < w; ++j) dst[k * vl + j] = src[k * rs + j * cs];
    }
}

/* Pack mr rows of op(A) (kc columns, (i,k) at src[i*rs + k*cs]) as dst[k*mk + i],
   zero-padded to mk rows: only for a last panel the kernel would read past A for. */
static void ofs__gemm_pack_a(int kc, int mr, int mk, const ofs_real *src, ptrdiff_t rs, ptrdiff_t cs, ofs_real *dst)
{
    int k, i;
    memset(dst, 0, (size_t)kc * (size_t)mk * sizeof(ofs_real));
    for (k = 0; k < kc; ++k)
        for (i = 0; i < mr; ++i) dst[k * mk + i] = src[i * rs + k * cs];
}

/* Rows of the next row panel when rem rows are left: mr, except that the last rows
   are covered by MR2-row panels (128 = 10*12 + 8) or one MR3-row panel; a panel
   with more rows than are left is padded. */
static int ofs__gemm_panel_rows(int mr, int rem)
{
    if (rem >= mr + OFS__MR2(mr) || (rem > OFS__MR2(mr) && rem <= mr)) return mr;
    return rem > OFS__MR3(mr) ? OFS__MR2(mr) : OFS__MR3(mr);
}

/* One mr x nr tile of C (mr <= mk rows, nr <= 2 vectors): full tiles go straight to
   C, partial ones through a local tile. */
static void ofs__gemm_tile(const ofs__kern *kn, int lay, int mk, int mr, int nr, int kc, const ofs_real *a,
                           ptrdiff_t ars, const ofs_real *b, ptrdiff_t bstr, ofs_real *c, ptrdiff_t ldc, ofs_real beta)
{
    const int vl = kn->vbytes / (int)sizeof(ofs_real), nv = nr > vl ? 2 : 1;
    ofs_real ct[16 * 2 * OFS__GEMM_MAXVL];
    int i, j;
    if (mr == mk && nr == nv * vl) { kn->micro(lay, mk, nv, kc, a, ars, b, bstr, c, ldc, beta); return; }
    kn->micro(lay, mk, nv, kc, a, ars, b, bstr, ct, 2 * vl, 0);
    for (i = 0; i < mr; ++i)
        for (j = 0; j < nr; ++j)
            c[i * ldc + j] = beta == 0 ? ct[i * 2 * vl + j] : ofs__fma(beta, c[i * ldc + j], ct[i * 2 * vl + j]);
}

/* Rows [i0,i1) x columns [j0,j1) of C. Loops, outer to inner: depth block, row
   block, micro-panel of 2 vectors of columns (packed into bp, then in L1), row
   panel. A is read in place, except for a padded last panel, packed once per block. */
static void ofs__gemm_block(const ofs__kern *kn, const ofs__gemm_args *g, int i0, int i1, int j0, int j1)
{
    ofs_real bbuf[OFS__GEMM_KC * 2 * OFS__GEMM_MAXVL + OFS__ALIGN / sizeof(ofs_real)];
    ofs_real abuf[OFS__GEMM_KC * 16 + OFS__ALIGN / sizeof(ofs_real)];
    ofs_real *bp = (ofs_real *)ofs__align_up(bbuf), *ap = (ofs_real *)ofs__align_up(abuf);
    const int vl = kn->vbytes / (int)sizeof(ofs_real), nr = 2 * vl, mc = 32 * kn->mr;
    const int nkb = (g->K + OFS__GEMM_KC - 1) / OFS__GEMM_KC, kcb = (g->K + nkb - 1) / nkb;   /* balanced */
    int pc, ic, jc, ir, mr;
    for (pc = 0; pc < g->K; pc += kcb) {
        const int kc = g->K - pc < kcb ? g->K - pc : kcb;
        const ofs_real bt = pc == 0 ? g->beta : (ofs_real)1;
        const ptrdiff_t bstr = (ptrdiff_t)kc * vl;
        for (ic = i0; ic < i1; ic += mc) {
            const int ie = i1 - ic < mc ? i1 : ic + mc;
            int edge_packed = 0;
            for (jc = j0; jc < j1; jc += nr) {
                const int w = j1 - jc < nr ? j1 - jc : nr;
                ofs__gemm_pack_b(kn, kc, w < vl ? w : vl, vl, g->B + pc * g->rsb + jc * g->csb, g->rsb, g->csb, bp);
                if (w > vl) ofs__gemm_pack_b(kn, kc, w - vl, vl, g->B + pc * g->rsb + (jc + vl) * g->csb, g->rsb, g->csb, bp + bstr);
                for (ir = ic; ir < ie; ir += mr) {
                    const int mk = ofs__gemm_panel_rows(kn->mr, ie - ir);
                    const ofs_real *a = g->A + ir * g->rsa + pc * g->csa;
                    int lay = g->csa == 1 ? 0 : 1;
                    ptrdiff_t ars = g->csa == 1 ? g->rsa : g->csa;
                    mr = ie - ir < mk ? ie - ir : mk;
                    if (mr < mk) {   /* padded: stay inside A */
                        if (!edge_packed) ofs__gemm_pack_a(kc, mr, mk, a, g->rsa, g->csa, ap);
                        edge_packed = 1; a = ap; lay = 1; ars = mk;
                    }
                    ofs__gemm_tile(kn, lay, mk, mr, w, kc, a, ars, bp, bstr, g->C + ir * g->N + jc, g->N, bt);
                    if (g->epi && pc + kc == g->K) g->epi(g->epi_ctx, g->C + ir * g->N + jc, g->N, ir, mr, jc, w);
                }
            }
        }
    }
}

/* A block of C by the chosen kernel, or by the book's loop (which then hands the
   whole block to the epilogue at once: the same numbers, tile by tile or not). */
static void ofs__gemm_range(const ofs__kern *kn, const ofs__gemm_args *g, int i0, int i1, int j0, int j1)
{
    if (i0 >= i1 || j0 >= j1) return;
    if (kn->micro && g->K > 0) { ofs__gemm_block(kn, g, i0, i1, j0, j1); return; }
    ofs__gemm_book(g, i0, i1, j0, j1);
    if (g->epi) g->epi(g->epi_ctx, g->C + (ptrdiff_t)i0 * g->N + j0, g->N, i0, i1 - i0, j0, j1 - j0);
}

/* Thread t's share of nt: columns in whole vectors, `per` of them for all rows; the
   columns left over (fewer than nt vectors) are shared by rows, so every thread does
   the same work. With too few columns the rows are split. */
static void ofs__gemm_part(const ofs__kern *kn, const ofs__gemm_args *g, int t, int nt)
{
    const int vl = kn->vbytes / (int)sizeof(ofs_real), r3 = OFS__MR3(kn->mr);
    const int units_n = (g->N + vl - 1) / vl, units_m = (g->M + r3 - 1) / r3, per = units_n / nt;
    int j0 = 0, ib, ie;
    if (per >= 2) {
        const int jb = t * per * vl, je = jb + per * vl;
        ofs__gemm_range(kn, g, 0, g->M, jb, je < g->N ? je : g->N);
        j0 = nt * per * vl;
        if (j0 >= g->N) return;
    }
    ib = r3 * (int)((long long)units_m * t / nt);
    ie = r3 * (int)((long long)units_m * (t + 1) / nt);
    ofs__gemm_range(kn, g, ib, ie < g->M ? ie : g->M, j0, g->N);
}

static void ofs__gemm_run(const ofs__gemm_args *g)
{
    const ofs__kern *kn = ofs__kern_get();
    int nt = 1, t;
#ifdef _OPENMP
    if ((double)g->M * (double)g->N * (double)g->K >= OFS__GEMM_PAR_MIN) nt = omp_get_max_threads();
#endif
    if (nt <= 1) { ofs__gemm_range(kn, g, 0, g->M, 0, g->N); return; }
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
#endif
    for (t = 0; t < nt; ++t) ofs__gemm_part(kn, g, t, nt);
}

/* ==== Appendix B: the threaded epoch ============================================== */
/* Chapter 15's epoch takes one step after another, and each step runs its products
   one after another, each cut among the threads its own way: W1, dW1 and the
   moments cross between the cores' caches every step. For one hidden layer and an
   element-wise optimizer (without SAM's second gradient or accumulated batches),
   ofs_trainer_epoch runs the epoch below instead: one
   parallel region for the whole epoch, in which each thread owns a slice u of the
   hidden units (whole vectors, traded now and then: ofs__owned_balance), a slice r
   of the batch rows and a slice o of the outputs. A step, | for a barrier:

       rows r of the batch into xb                                         |
       H^T[u] = act(W1[u] X^T + b1[u])                                     |
       Z[r] = H[r] W2^T + b2; the rows' losses; G2[r] = dLoss/dZ[r]        |
       the batch's loss, summed by every thread in row order (not finite: stop);
       thread 0: ofs__step_begin (schedule, checks, t <- t + 1);
       G1^T[u] = (W2[:, u]^T G2^T) * act'(H^T[u]), db1[u];  dW2[:, u] = (H^T[u] G2)^T; db2[o]
       dW1[u] = G1^T[u] X                                                  |
       ofs__step_update on W1[u], b1[u], W2[o], b2[o] (Lookahead's sync and the average too)

   The pieces are the book's: the products are ofs__gemm_range on blocks of the
   same products (one element's terms in the same order whoever computes it, and
   fma(a, b, c) = fma(b, a, c), so a transposed product has the same bits), the
   bias, activation, loss and bias gradients are the book's functions, and the step
   is ofs__step_begin and ofs__step_update. So the parameters come out with the bits
   of chapter 15's loop run with the same kernel, on any number of threads
   (tests/test_mlp.c checks it on 1 to 3 threads, for every kernel), and a failing
   schedule moves nothing here either.

   What changes is where the data lives: thread k's rows of W1 and dW1 and their
   moments stay in core k's cache from one step to the next, and H and G1 are kept
   transposed (t->ht, t->g1t: unit by unit), so that a thread's units are one block
   (and dW2, which is why it is computed by units: its transpose t->dw2t comes from
   the thread's own block of H^T). Kept as B x n1, each thread's units would be a
   piece of every row, and a core's prefetcher, reading past the end of its piece,
   would keep taking the lines the other core is writing (the small loops over H and
   G1 took two to five times as long that way). No barrier is needed after the
   update: the next step touches what it writes only after its second barrier (W2,
   b2) or on the same thread (W1[u], b1[u]). */
static int ofs__slice(int n, int k, int nt, int unit)   /* where slice k of n starts */
{
    const int units = (n + unit - 1) / unit, s = unit * (int)((long long)units * k / nt);
    return s < n ? s : n;
}

/* Cores are not always equally fast (on a shared machine one may lose a quarter of
   its time to a neighbour), and with fixed slices every step would wait for the
   slowest. Every OFS__OWNED_BALANCE_STEPS steps thread 0 moves one vector of units
   from a thread to its neighbour if their busy times differ by more than one
   vector's worth. Who computes a unit changes no bit of it; the new slices take
   effect at the next step's first barrier, after every update of the old ones. */
#define OFS__OWNED_THREADS 64
#ifndef OFS__OWNED_BALANCE_STEPS
#define OFS__OWNED_BALANCE_STEPS 16
#endif
static void ofs__owned_balance(int *cut, double (*busy)[8], int T)
{
    int q;
    for (q = 0; q + 1 < T; q++) {
        const int va = cut[q + 1] - cut[q], vb = cut[q + 2] - cut[q + 1];
        const double a = busy[q][0], b = busy[q + 1][0], per = va + vb > 0 ? (a + b) / (va + vb) : 0;
        if (a - b > per && va > 1) cut[q + 1]--;
        else if (b - a > per && vb > 1) cut[q + 1]++;
    }
    for (q = 0; q < T; q++) busy[q][0] = 0;
}

/* The tile of H^T the product has just finished (units i0 .. i0+mr-1, batch rows
   j0 .. j0+nr-1, ld = the batch size), while it is in L1: + b1[unit], then the
   activation, by the book's ofs__bias_act. */
typedef struct ofs__owned_epi { ofs_act act; const ofs_real *b1; } ofs__owned_epi;
static void ofs__owned_fwd_epi(void *ctx, ofs_real *c, ptrdiff_t ld, int i0, int mr, int j0, int nr)
{
    const ofs__owned_epi *e = (const ofs__owned_epi *)ctx;
    int i;
    (void)j0;
    for (i = 0; i < mr; i++) ofs__bias_act(c + i * ld, (size_t)nr, e->b1 + i0 + i, 0, e->act);
}

/* (SAM's two gradients and accumulated micro-batches take chapter 15's loop.) */
static int ofs__owned_ok(const ofs_trainer *t)
{
    return t->mlp->nlayers == 2 && !t->sam && t->accumulate == 1 && ofs__trainer_elementwise(t);
}

/* Its workspace, with the trainer's: H, G1 and dW2 transposed. 0: out of memory. */
static int ofs__owned_alloc(ofs_trainer *t)
{
    const size_t n1 = (size_t)t->mlp->sizes[1];
    if (t->mlp->nlayers != 2) return 1;
    t->ht = (ofs_real *)ofs__alloc((size_t)t->batch * n1, sizeof(ofs_real));
    t->g1t = (ofs_real *)ofs__alloc((size_t)t->batch * n1, sizeof(ofs_real));
    t->dw2t = (ofs_real *)ofs__alloc(n1 * (size_t)t->mlp->sizes[2], sizeof(ofs_real));
    return t->ht && t->g1t && t->dw2t;
}

static int ofs__owned_vl(void) { return ofs__kern_get()->vbytes / (int)sizeof(ofs_real); }

/* A product's block by the chosen kernel: C[i0..i1) x [j0..j1) of op(A) op(B). */
static void ofs__owned_gemm(ofs__gemm_args *g, int M, int N, int K, const ofs_real *A, ptrdiff_t rsa, ptrdiff_t csa,
                            const ofs_real *B, ptrdiff_t rsb, ptrdiff_t csb, ofs_real *C, int i0, int i1, int j1)
{
    g->M = M; g->N = N; g->K = K; g->A = A; g->rsa = rsa; g->csa = csa; g->B = B; g->rsb = rsb; g->csb = csb;
    g->beta = 0; g->C = C;
    ofs__gemm_range(ofs__kern_get(), g, i0, i1, 0, j1);
}

/* The batch's rows are scattered over the training set, and a row of 784 floats is too
   short for the hardware prefetchers to get going: each one waited for main memory.
   The copy below asks for the row OFS__COPY_AHEAD places ahead while it copies this one
   (the epoch took about 2 % less in alternating runs). */
#ifndef OFS__COPY_AHEAD
#define OFS__COPY_AHEAD 2
#endif
static void ofs__prefetch_row(const ofs_real *row, int n)
{
#if defined(__GNUC__) || defined(__clang__)
    const char *p = (const char *)row;
    size_t l;
    for (l = 0; l < (size_t)n * sizeof(ofs_real); l += OFS__ALIGN) __builtin_prefetch(p + l);
#else
    (void)row; (void)n;
#endif
}

/* The pieces of one step, each run by every thread on its own share: batch rows
   r0 .. r1-1, hidden units u0 .. u1-1, outputs o0 .. o1-1. First the batch's rows. */
static void ofs__owned_copy(ofs_trainer *t, const ofs_real *x, const unsigned char *y, size_t start, int r0, int r1)
{
    const int n0 = t->mlp->sizes[0];
    int r;
    for (r = r0; r < r1; r++) {
        const size_t e = t->order[start + (size_t)r];
        if (r + OFS__COPY_AHEAD < r1) ofs__prefetch_row(x + (size_t)t->order[start + (size_t)r + OFS__COPY_AHEAD] * n0, n0);
        memcpy(t->xb + (size_t)r * n0, x + e * n0, (size_t)n0 * sizeof(ofs_real));
        t->yb[r] = y[e];
    }
}

/* H^T = act(W1 X^T + b1) for units u0 .. u1-1 (bias and activation tile by tile). */
static void ofs__owned_hidden(ofs_trainer *t, ofs__owned_epi *epi, int b, int u0, int u1)
{
    ofs_mlp *m = t->mlp;
    ofs__gemm_args g;
    g.epi = ofs__owned_fwd_epi; g.epi_ctx = epi;
    ofs__owned_gemm(&g, m->sizes[1], b, m->sizes[0], m->params + m->w_off[0], m->sizes[0], 1, t->xb, 1, m->sizes[0],
                    t->ht, u0, u1, b);
}

/* Z = H W2^T + b2 for rows r0 .. r1-1, their losses and dlogits; the number right. */
static size_t ofs__owned_logits(ofs_trainer *t, int b, int r0, int r1)
{
    ofs_mlp *m = t->mlp;
    const int n1 = m->sizes[1], n2 = m->sizes[2];
    ofs__gemm_args g;
    size_t c = 0;
    int r;
    g.epi = NULL; g.epi_ctx = NULL;
    ofs__owned_gemm(&g, b, n2, n1, t->ht, 1, b, m->params + m->w_off[1], 1, n1, m->out[1], r0, r1, n2);
    for (r = r0; r < r1; r++) {
        ofs_real *z = m->out[1] + (size_t)r * n2;
        ofs__bias_act(z, (size_t)n2, m->params + m->b_off[1], 1, OFS_ACT_IDENTITY);
        c += ofs_argmax(z, n2) == (int)t->yb[r];
        t->row_loss[r] = ofs__xent_row(z, n2, t->yb[r], m->dlogits + (size_t)r * n2, 1.0 / b);
    }
    return c;
}

/* The backward products for units u0 .. u1-1 and outputs o0 .. o1-1: G1^T = W2^T
   G2^T, then act' and db1; db2; dW2^T = H^T G2, put in place; dW1 = G1^T X. */
static void ofs__owned_backward(ofs_trainer *t, int b, int u0, int u1, int o0, int o1)
{
    ofs_mlp *m = t->mlp;
    const int n0 = m->sizes[0], n1 = m->sizes[1], n2 = m->sizes[2];
    ofs_real *const dW2 = m->grads + m->w_off[1], *const db1 = m->grads + m->b_off[0], *const db2 = m->grads + m->b_off[1];
    ofs__gemm_args g;
    int r, j;
    g.epi = NULL; g.epi_ctx = NULL;
    ofs__owned_gemm(&g, n1, b, n2, m->params + m->w_off[1], 1, n1, m->dlogits, 1, n2, t->g1t, u0, u1, b);
    for (j = u0; j < u1; j++) ofs_act_backward(m->act, t->ht + (size_t)j * b, t->g1t + (size_t)j * b, (size_t)b);
    for (j = u0; j < u1; j++) db1[j] = 0;
    ofs__add_colsums(db1 + u0, t->g1t + (size_t)u0 * b, b, u1 - u0, 1, b);
    for (j = o0; j < o1; j++) db2[j] = 0;
    ofs__add_colsums(db2 + o0, m->dlogits + o0, b, o1 - o0, n2, 1);
    ofs__owned_gemm(&g, n1, n2, b, t->ht, b, 1, m->dlogits, n2, 1, t->dw2t, u0, u1, n2);
    for (j = 0; j < n2; j++)
        for (r = u0; r < u1; r++) dW2[(size_t)j * n1 + r] = t->dw2t[(size_t)r * n2 + j];
    ofs__owned_gemm(&g, n1, n0, b, t->g1t, b, 1, t->xb, n0, 1, m->grads + m->w_off[0], u0, u1, n0);
}

/* The first share of the units: T slices of whole vectors, none of them busy yet. */
static void ofs__owned_cuts(int *cut, double (*busy)[8], int n1, int T)
{
    const int vl = ofs__owned_vl();
    int q;
    for (q = 0; q <= T; q++) cut[q] = ofs__slice(n1, q, T, vl) / vl;
    cut[T] = (n1 + vl - 1) / vl;
    for (q = 0; q < T; q++) busy[q][0] = 0;
}
static ofs_status ofs__owned_epoch(ofs_trainer *t, const ofs_real *x, const unsigned char *y, double *loss_sum,
                                   size_t *right, ofs_err *err)
{
    ofs_mlp *m = t->mlp;
    const int n1 = m->sizes[1], n2 = m->sizes[2], vl = ofs__owned_vl();
    ofs_optim at[OFS_TRAINER_MAX_GROUPS];   /* each group as it stands for this step's update */
    ofs__owned_epi epi;
    int cut[OFS__OWNED_THREADS + 1];      /* thread k owns vectors cut[k] .. cut[k+1]-1 of the units */
    double busy[OFS__OWNED_THREADS][8];   /* seconds of its units' work since the last rebalance */
    ofs_status st = OFS_OK;
    double sum = 0, bad = 0;
    size_t c = 0, bad_batch = 0;
    int stop = 0;
#ifdef _OPENMP
    const int nt = omp_get_max_threads() < OFS__OWNED_THREADS ? omp_get_max_threads() : OFS__OWNED_THREADS;
#endif
    m->input = t->xb;
    epi.act = m->act; epi.b1 = m->params + m->b_off[0];
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(+ : c)
#endif
    {
        int k = 0, T = 1, u0, u1, o0, o1;
        size_t start, batch_no;
        double total = 0, w0, clk = ofs__wtime(), *ph = NULL;
#ifdef _OPENMP
        k = omp_get_thread_num(); T = omp_get_num_threads();
#endif
        if (k == 0) { ofs__owned_cuts(cut, busy, n1, T); ph = t->phase; }
        o0 = ofs__slice(n2, k, T, 1); o1 = ofs__slice(n2, k + 1, T, 1);
        for (start = 0, batch_no = 0; start < t->n; start += (size_t)t->batch, batch_no++) {
            const int b = t->n - start < (size_t)t->batch ? (int)(t->n - start) : t->batch;
            const int r0 = b * k / T, r1 = b * (k + 1) / T;
            double loss;
            ofs__owned_copy(t, x, y, start, r0, r1);
#ifdef _OPENMP
#pragma omp barrier
#endif
            ofs__phase(ph, OFS_PHASE_COPY, &clk);
            u0 = cut[k] * vl < n1 ? cut[k] * vl : n1;
            u1 = cut[k + 1] * vl < n1 ? cut[k + 1] * vl : n1;
            w0 = ofs__wtime();
            ofs__owned_hidden(t, &epi, b, u0, u1);
            busy[k][0] += ofs__wtime() - w0;
#ifdef _OPENMP
#pragma omp barrier
#endif
            ofs__phase(ph, OFS_PHASE_FORWARD, &clk);
            c += ofs__owned_logits(t, b, r0, r1);
#ifdef _OPENMP
#pragma omp barrier
#endif
            loss = ofs__loss_sum(t->row_loss, b, 0) * (1.0 / b);   /* as ofs_softmax_xent sums them */
            if (!ofs__finite(loss)) {
                if (k == 0) { bad = loss; bad_batch = batch_no; stop = 1; }
                break;
            }
            total += loss * b;
            ofs__phase(ph, OFS_PHASE_LOSS, &clk);
            if (k == 0 && (st = ofs__step_begin(t, at, err)) != OFS_OK) stop = 1;
            w0 = ofs__wtime();
            ofs__owned_backward(t, b, u0, u1, o0, o1);
            busy[k][0] += ofs__wtime() - w0;
#ifdef _OPENMP
#pragma omp barrier
#endif
            ofs__phase(ph, OFS_PHASE_BACKWARD, &clk);
            if (stop) break;
            if (k == 0 && batch_no % OFS__OWNED_BALANCE_STEPS == OFS__OWNED_BALANCE_STEPS - 1) ofs__owned_balance(cut, busy, T);
            ofs__step_update(t, at, m->w_off[0] + (size_t)u0 * m->sizes[0], m->w_off[0] + (size_t)u1 * m->sizes[0]);
            ofs__step_update(t, at, m->b_off[0] + (size_t)u0, m->b_off[0] + (size_t)u1);
            ofs__step_update(t, at, m->w_off[1] + (size_t)o0 * n1, m->w_off[1] + (size_t)o1 * n1);
            ofs__step_update(t, at, m->b_off[1] + (size_t)o0, m->b_off[1] + (size_t)o1);
            ofs__phase(ph, OFS_PHASE_UPDATE, &clk);
        }
        if (k == 0) sum = total;
    }
    m->batch = t->n % (size_t)t->batch ? (int)(t->n % (size_t)t->batch) : t->batch;
    *loss_sum = sum; *right = c;
    if (stop) return st != OFS_OK ? st : ofs__nonfinite_loss(t, bad, bad_batch, err);
    return ofs__ok(err);
}


/* ==== Appendix C: subnormal numbers ============================================== */
/* A float below 2^-126 in magnitude is subnormal: it has lost leading bits of its
   significand. Many processors compute with such numbers through a slow path (with
   3,733 subnormal first moments an AdamW step over the default model took three
   times as long here: make bench prints both), and training makes them: a first moment of Adam whose input pixel is never lit decays
   by beta1 every step until it is subnormal. ofs_set_flush_denormal(1) does what
   torch.set_flush_denormal(True) does: the processor then treats subnormal inputs
   as zero and writes zero instead of a subnormal result (the FTZ and DAZ bits of
   MXCSR on x86, FZ of FPCR on AArch64). That changes results below 2^-126 only, so
   the optimizers' exactness tests run without it. The setting is per thread: it
   is made on the calling thread and, with OpenMP, on every thread of the pool,
   which the library's parallel regions use (threads the runtime starts later copy
   the calling thread's setting). */
#if (defined(__x86_64__) || defined(_M_X64) || defined(__SSE__)) && !defined(OFS_NO_FLUSH_DENORMAL)
#include <xmmintrin.h>
#define OFS__FLUSH_BITS 0x8040u   /* MXCSR: flush to zero (bit 15), denormals are zero (bit 6) */
static void ofs__flush_here(int on) { _mm_setcsr(on ? (_mm_getcsr() | OFS__FLUSH_BITS) : (_mm_getcsr() & ~OFS__FLUSH_BITS)); }
#define OFS__HAVE_FLUSH 1
#elif defined(__aarch64__) && defined(__GNUC__) && !defined(OFS_NO_FLUSH_DENORMAL)
static void ofs__flush_here(int on)
{
    unsigned long long fpcr;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
    fpcr = on ? fpcr | (1ull << 24) : fpcr & ~(1ull << 24);
    __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr));
}
#define OFS__HAVE_FLUSH 1
#else
#define OFS__HAVE_FLUSH 0
#endif

/* Whether this thread flushes: a product of two normal floats that is subnormal. An
   emulator (valgrind) may accept the bits and ignore them. */
#if OFS__HAVE_FLUSH
static int ofs__flushes(void)
{
    volatile float a = 1e-30f, b = 1e-10f;
    return a * b == 0.0f;
}
#endif

OFSDEF ofs_status ofs_set_flush_denormal(int on, ofs_err *err)
{
#if OFS__HAVE_FLUSH
    ofs__flush_here(on);
    if (on && !ofs__flushes()) {
        ofs__flush_here(0);
        return ofs__fail(err, OFS_ERR_UNSUPPORTED, "flush-denormal: not supported here: the processor (or an emulator "
                         "running this program) ignores the setting; subnormal numbers are kept");
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(omp_get_max_threads())
    ofs__flush_here(on);
#endif
    return ofs__ok(err);
#else
    return on ? ofs__fail(err, OFS_ERR_UNSUPPORTED, "flush-denormal: not supported on this processor or compiler "
                          "(subnormal numbers are kept)")
              : ofs__ok(err);
#endif
}

/* ==== Appendix D: MNIST's files: reading and writing IDX, synthetic digits ====== */
/* Chapter 15 trains on MNIST, which comes as IDX files: this appendix reads them
   (any IDX file, and the MNIST pairs). The tests, the fuzzers and the smoke runs need
   data without a download, and files of it in the same format: the appendix then
   makes a stand-in for MNIST and writes IDX files, which the reader reads as any
   others; that is also how the writer is checked (tests/test_idx.c writes, reads
   back and compares). */

/* ---- Reading IDX files ---- */
/* The IDX format (LeCun, Cortes and Burges, "The MNIST database") is a header and
   a flat array:

       byte 0, 1    0x00 0x00                          the magic
       byte 2       element type: 0x08 unsigned byte, 0x09 signed byte,
                    0x0B short (2 bytes), 0x0C int (4), 0x0D float (4), 0x0E double (8)
       byte 3       NDIM, the number of dimensions
       4 + 4k       size of dimension k, a big-endian uint32, for k = 0 .. NDIM-1
       4 + 4 NDIM   the count = d0 d1 ... d(NDIM-1) elements, each big-endian,
                    the last index varying fastest (row-major)

   Nothing else is in the file, so its length must be exactly
       4 + 4 NDIM + count * (element size)
   and the reader checks that before it allocates anything: a corrupt header can
   neither make it allocate a huge array nor read past the end. MNIST's training
   images are 0x00 0x00 0x08 0x03, 60000, 28, 28, then 47,040,000 pixel bytes;
   its labels 0x00 0x00 0x08 0x01, 60000, then 60,000 bytes of digits 0-9.
   The files are often distributed gzipped (they start 0x1f 0x8b): gunzip first.

   Reading a file is: its length, the header (at most 4 + 4 * 255 bytes), the
   checks, one allocation of count ofs_reals, then the data in chunks of 64 KiB,
   each converted as it arrives (so the only large memory touched is the output). */

typedef struct ofs__idx_head {
    int type, ndim, size;                  /* element type, dimensions, bytes per element */
    uint32_t dims[OFS_IDX_MAX_DIMS];
    size_t count, offset;                  /* elements; bytes before the first element */
} ofs__idx_head;

/* The element types: code, bytes per element, name. */
static const struct { int type, size; const char *name; } ofs__idx_types[] = {
    {OFS_IDX_U8, 1, "unsigned byte"}, {OFS_IDX_I8, 1, "signed byte"}, {OFS_IDX_I16, 2, "16-bit int"},
    {OFS_IDX_I32, 4, "32-bit int"},   {OFS_IDX_F32, 4, "32-bit float"}, {OFS_IDX_F64, 8, "64-bit float"}};

static int ofs__idx_find(int type)   /* the table row of a type code, or -1 */
{
    int k;
    for (k = 0; k < (int)(sizeof ofs__idx_types / sizeof ofs__idx_types[0]); k++) if (ofs__idx_types[k].type == type) return k;
    return -1;
}
static int ofs__idx_size(int type) { return ofs__idx_find(type) < 0 ? 0 : ofs__idx_types[ofs__idx_find(type)].size; }
OFSDEF const char *ofs_idx_type_name(int type) { return ofs__idx_find(type) < 0 ? "unknown" : ofs__idx_types[ofs__idx_find(type)].name; }

static uint32_t ofs__be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* "60000 x 28 x 28", cut short with "..." when it does not fit in buf. */
static const char *ofs__idx_dims_text(const ofs__idx_head *h, char *buf, size_t cap)
{
    size_t len = 0;
    int k;
    buf[0] = 0;
    for (k = 0; k < h->ndim; k++) {
        char one[16];
        size_t m = (size_t)sprintf(one, k ? " x %lu" : "%lu", (unsigned long)h->dims[k]);
        if (len + m + 4 >= cap) { memcpy(buf + len, " ...", 5); break; }
        memcpy(buf + len, one, m + 1);
        len += m;
    }
    return buf;
}

/* The number of elements, the product of the ndim sizes, capped at 2^31 + 1 after
   each factor: below the cap every product is exact, and it cannot overflow. */
static double ofs__idx_count(const uint32_t *dims, int ndim)
{
    double count = 1;
    int k;
    for (k = 0; k < ndim; k++) {
        count *= (double)dims[k];
        if (count > OFS_IDX_MAX_COUNT) count = OFS_IDX_MAX_COUNT + 1;
    }
    return count;
}

/* Check the header at p[0 .. avail) of a file of `total` bytes (avail = total,
   or the first 4 + 4*255 bytes when the data is not in memory) and fill h. */
static ofs_status ofs__idx_head_parse(const unsigned char *p, size_t avail, uint64_t total,
                                      const char *name, ofs__idx_head *h, ofs_err *err)
{
    char dims[96];
    double count;
    uint64_t data_bytes;
    int k;
    if (total < 4)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected an IDX file starting with the 4 bytes 0x00 0x00 TYPE NDIM, "
                         "found a file of %llu bytes", name, (unsigned long long)total);
    if (p[0] != 0 || p[1] != 0)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected an IDX file, whose first two bytes are 0x00 0x00, found 0x%02x 0x%02x%s",
                         name, p[0], p[1], (p[0] == 0x1f && p[1] == 0x8b) ? " (a gzip file: gunzip it first)" : "");
    h->type = p[2];
    h->size = ofs__idx_size(h->type);
    if (h->size == 0)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected an IDX element type 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E "
                         "in byte 2, found 0x%02X", name, p[2]);
    h->ndim = p[3];
    if (h->ndim == 0)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected 1 to 255 dimensions in byte 3, found 0", name);
    h->offset = 4 + 4 * (size_t)h->ndim;
    if (total < h->offset || avail < h->offset)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected a header of 4 + 4 x %d = %lu bytes for %d dimensions, "
                         "found a file of %llu bytes", name, h->ndim, (unsigned long)h->offset, h->ndim, (unsigned long long)total);
    for (k = 0; k < h->ndim; k++) h->dims[k] = ofs__be32(p + 4 + 4 * k);
    count = ofs__idx_count(h->dims, h->ndim);
    if (count > OFS_IDX_MAX_COUNT)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected at most 2^31 elements, found the sizes %s, which make more "
                         "(a corrupt header?)", name, ofs__idx_dims_text(h, dims, sizeof dims));
    if (count * (h->size > (int)sizeof(ofs_real) ? h->size : (int)sizeof(ofs_real)) > (double)((size_t)-1))
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: the sizes %s make %.0f elements, more than this machine can address",
                         name, ofs__idx_dims_text(h, dims, sizeof dims), count);
    h->count = (size_t)count;
    data_bytes = (uint64_t)h->count * (uint64_t)h->size;
    if (total - h->offset != data_bytes)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected %llu data bytes after the %lu-byte header (%s elements of %d byte%s), "
                         "found %llu: %s", name, (unsigned long long)data_bytes, (unsigned long)h->offset,
                         ofs__idx_dims_text(h, dims, sizeof dims), h->size, h->size == 1 ? "" : "s",
                         (unsigned long long)(total - h->offset),
                         total - h->offset < data_bytes ? "the file is truncated" : "trailing bytes after the data");
    return OFS_OK;
}

/* Convert n big-endian elements of `type` at src: dst[i] = value_i / div.
   One loop per type, so each is a plain loop the compiler can vectorize. The
   signed types are decoded without implementation-defined casts:
   v = u - 2^bits when the top bit of u is set. Floats reinterpret the bits. */
static void ofs__idx_convert(int type, const unsigned char *src, size_t n, ofs_real div, ofs_real *dst)
{
    size_t i;
    switch (type) {
    case OFS_IDX_U8:
        for (i = 0; i < n; i++) dst[i] = (ofs_real)src[i] / div;
        break;
    case OFS_IDX_I8:
        for (i = 0; i < n; i++) dst[i] = (ofs_real)((int)src[i] - ((src[i] & 0x80) ? 256 : 0)) / div;
        break;
    case OFS_IDX_I16:
        for (i = 0; i < n; i++) {
            long u = (long)src[2 * i] << 8 | (long)src[2 * i + 1];
            dst[i] = (ofs_real)(u - ((u & 0x8000L) ? 65536L : 0)) / div;
        }
        break;
    case OFS_IDX_I32:
        for (i = 0; i < n; i++) {
            long long u = (long long)ofs__be32(src + 4 * i);
            dst[i] = (ofs_real)(u - ((u & 0x80000000LL) ? 4294967296LL : 0)) / div;
        }
        break;
    case OFS_IDX_F32:
        for (i = 0; i < n; i++) {
            uint32_t u = ofs__be32(src + 4 * i);
            float f;
            memcpy(&f, &u, 4);
            dst[i] = (ofs_real)f / div;
        }
        break;
    case OFS_IDX_F64:
        for (i = 0; i < n; i++) {
            uint64_t u = (uint64_t)ofs__be32(src + 8 * i) << 32 | ofs__be32(src + 8 * i + 4);
            double d;
            memcpy(&d, &u, 8);
            dst[i] = (ofs_real)d / div;
        }
        break;
    }
}

static void ofs__idx_zero(ofs_idx *x) { memset(x, 0, sizeof *x); }

/* Allocate out->x for the checked header h and copy the shape. */
static ofs_status ofs__idx_alloc(const ofs__idx_head *h, const char *name, ofs_idx *out, ofs_err *err)
{
    out->x = (ofs_real *)ofs__alloc(h->count, sizeof(ofs_real));
    if (!out->x)
        return ofs__fail(err, OFS_ERR_NOMEM, "%s: cannot allocate %lu values of %d bytes", name,
                         (unsigned long)h->count, (int)sizeof(ofs_real));
    out->type = h->type;
    out->ndim = h->ndim;
    memcpy(out->dims, h->dims, (size_t)h->ndim * sizeof h->dims[0]);
    out->count = h->count;
    return OFS_OK;
}

OFSDEF ofs_status ofs_idx_parse(const void *data, size_t len, const char *name, ofs_idx *out, ofs_err *err)
{
    const unsigned char *p = (const unsigned char *)data;
    ofs__idx_head h;
    ofs_status s;
    ofs__idx_zero(out);
    if (!name) name = "IDX data";
    if ((s = ofs__idx_head_parse(p, len, (uint64_t)len, name, &h, err)) != OFS_OK) return s;
    if ((s = ofs__idx_alloc(&h, name, out, err)) != OFS_OK) return s;
    ofs__idx_convert(h.type, p + h.offset, h.count, (ofs_real)1, out->x);
    return ofs__ok(err);
}

OFSDEF void ofs_idx_free(ofs_idx *x)
{
    ofs__free(x->x);
    ofs__idx_zero(x);
}

OFSDEF void ofs_dataset_free(ofs_dataset *ds)
{
    ofs__free(ds->x);
    ofs__free(ds->y);
    memset(ds, 0, sizeof *ds);
}

#ifndef OFS_NO_STDIO

/* Open path (a regular file: chapter 0), measure it, read and check its header; on
   success in is left at the first element. On failure the file is closed. */
static ofs_status ofs__idx_open(const char *path, ofs__in *in, ofs__idx_head *h, ofs_err *err)
{
    unsigned char head[4 + 4 * OFS_IDX_MAX_DIMS];
    size_t want, got;
    int e;
    ofs_status s;
    ofs__in_none(in);
    if ((s = ofs__in_open(in, path, err)) != OFS_OK) return s;
    want = in->size < sizeof head ? (size_t)in->size : sizeof head;
    got = ofs__in_read(in, head, want, &e);
    if (got != want) s = ofs__read_failed(path, got, want, e, err);
    else s = ofs__idx_head_parse(head, want, in->size, path, h, err);
    if (s == OFS_OK && ofs__in_seek(in, h->offset) != 0)
        s = ofs__fail(err, OFS_ERR_IO, "%s: cannot seek to the data: %s", path, strerror(errno));
    if (s != OFS_OK) ofs__in_close(in);
    return s;
}

/* Read the h->count elements at in's position into dst, converting: dst[i] = v_i / div. */
static ofs_status ofs__idx_read(ofs__in *in, const char *path, const ofs__idx_head *h, ofs_real div, ofs_real *dst, ofs_err *err)
{
    unsigned char chunk[65536];
    size_t per = sizeof chunk / (size_t)h->size, done = 0;
    int e;
    while (done < h->count) {
        size_t n = h->count - done < per ? h->count - done : per, got = ofs__in_read(in, chunk, n * (size_t)h->size, &e);
        if (got != n * (size_t)h->size)
            return ofs__fail(err, OFS_ERR_IO, "%s: read error after %lu of %lu elements: %s", path, (unsigned long)done,
                             (unsigned long)h->count, e ? strerror(e) : "the file ended early (did it change while it was read?)");
        ofs__idx_convert(h->type, chunk, n, div, dst + done);
        done += n;
    }
    return OFS_OK;
}

OFSDEF ofs_status ofs_idx_load(const char *path, ofs_idx *out, ofs_err *err)
{
    ofs__in f;
    ofs__idx_head h;
    ofs_status s;
    ofs__idx_zero(out);
    if ((s = ofs__idx_open(path, &f, &h, err)) != OFS_OK) return s;
    if ((s = ofs__idx_alloc(&h, path, out, err)) == OFS_OK) s = ofs__idx_read(&f, path, &h, (ofs_real)1, out->x, err);
    ofs__in_close(&f);
    if (s != OFS_OK) { ofs_idx_free(out); return s; }
    return ofs__ok(err);
}

/* MNIST wants unsigned bytes in `ndim` dimensions, none of size 0. */
static ofs_status ofs__mnist_check(const char *path, const ofs__idx_head *h, int ndim, const char *what, ofs_err *err)
{
    int k;
    if (h->ndim != ndim)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected an MNIST %s file with %d dimension%s (%s), found %d dimension%s",
                         path, what, ndim, ndim == 1 ? "" : "s", ndim == 1 ? "count" : "count x rows x cols",
                         h->ndim, h->ndim == 1 ? "" : "s");
    if (h->type != OFS_IDX_U8)
        return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected MNIST %s of type 0x08 (unsigned byte), found type 0x%02X (%s)",
                         path, what, h->type, ofs_idx_type_name(h->type));
    for (k = 0; k < ndim; k++)
        if (h->dims[k] == 0)
            return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected MNIST %s with every size at least 1, found size 0 in dimension %d",
                             path, what, k);
    return OFS_OK;
}

/* Read the labels (already checked: n unsigned bytes) and check each is < classes. */
static ofs_status ofs__mnist_labels(ofs__in *f, const char *path, size_t n, int classes, unsigned char *y, ofs_err *err)
{
    size_t i, got;
    int e;
    if ((got = ofs__in_read(f, y, n, &e)) != n)
        return ofs__fail(err, OFS_ERR_IO, "%s: read error after %lu of %lu labels: %s", path, (unsigned long)got, (unsigned long)n,
                         e ? strerror(e) : "the file ended early (did it change while it was read?)");
    for (i = 0; i < n; i++)
        if (y[i] >= classes)
            return ofs__fail(err, OFS_ERR_FORMAT, "%s: expected labels 0 to %d, found %d at index %lu",
                             path, classes - 1, y[i], (unsigned long)i);
    return OFS_OK;
}

/* Both headers are read and checked before anything is allocated; pixels are
   converted as PyTorch's ToTensor does: x = (float)byte / 255, in [0, 1].     */
OFSDEF ofs_status ofs_mnist_load(const char *images_path, const char *labels_path, ofs_dataset *ds, ofs_err *err)
{
    ofs__in fi, fl;
    ofs__idx_head hi, hl;
    ofs_status s;
    memset(ds, 0, sizeof *ds);
    ofs__in_none(&fi); ofs__in_none(&fl);
    if ((s = ofs__idx_open(images_path, &fi, &hi, err)) != OFS_OK) goto done;
    if ((s = ofs__mnist_check(images_path, &hi, 3, "images", err)) != OFS_OK) goto done;
    if ((s = ofs__idx_open(labels_path, &fl, &hl, err)) != OFS_OK) goto done;
    if ((s = ofs__mnist_check(labels_path, &hl, 1, "labels", err)) != OFS_OK) goto done;
    if (hi.dims[0] != hl.dims[0]) {
        s = ofs__fail(err, OFS_ERR_FORMAT, "%s holds %lu images but %s holds %lu labels: expected the same count",
                      images_path, (unsigned long)hi.dims[0], labels_path, (unsigned long)hl.dims[0]);
        goto done;
    }
    if ((uint64_t)hi.dims[1] * hi.dims[2] > 0x7FFFFFFF) {   /* dim is an int */
        s = ofs__fail(err, OFS_ERR_FORMAT, "%s: expected images of at most 2^31 - 1 pixels, found %lu x %lu",
                      images_path, (unsigned long)hi.dims[1], (unsigned long)hi.dims[2]);
        goto done;
    }
    ds->n = hi.dims[0];
    ds->rows = (int)hi.dims[1];
    ds->cols = (int)hi.dims[2];
    ds->dim = ds->rows * ds->cols;
    ds->classes = 10;
    ds->x = (ofs_real *)ofs__alloc(hi.count, sizeof(ofs_real));
    ds->y = (unsigned char *)ofs__alloc(ds->n, 1);
    if (!ds->x || !ds->y) {
        s = ofs__fail(err, OFS_ERR_NOMEM, "%s: cannot allocate %lu pixels and %lu labels",
                      images_path, (unsigned long)hi.count, (unsigned long)ds->n);
        goto done;
    }
    if ((s = ofs__idx_read(&fi, images_path, &hi, (ofs_real)255, ds->x, err)) != OFS_OK) goto done;
    s = ofs__mnist_labels(&fl, labels_path, ds->n, ds->classes, ds->y, err);
done:
    ofs__in_close(&fi);
    ofs__in_close(&fl);
    if (s != OFS_OK) { ofs_dataset_free(ds); return s; }
    return ofs__ok(err);
}

/* MNIST comes as four files with fixed names (after gunzip): train-images-idx3-ubyte,
   train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte. The
   directory may end with a slash or not; any other prefix than train and t10k is
   read the same way (the --smoke runs write theirs as ch15_smoke-train-..., say).  */
OFSDEF ofs_status ofs_mnist_load_dir(const char *dir, const char *set, ofs_dataset *ds, ofs_err *err)
{
    char images[4096], labels[4096];
    size_t len;
    const char *slash;
    OFS_ASSERT(ds);
    memset(ds, 0, sizeof *ds);
    if (!dir || !*dir)
        return ofs__fail(err, OFS_ERR_ARG, "mnist: expected a directory name, found %s", dir ? "an empty string" : "NULL");
    if (!set || !*set)
        return ofs__fail(err, OFS_ERR_ARG, "mnist: expected a set name such as \"train\" or \"t10k\", found %s",
                         set ? "an empty string" : "NULL");
    len = strlen(dir);
    slash = dir[len - 1] == '/' ? "" : "/";
    if (len + strlen(set) + 32 > sizeof images)
        return ofs__fail(err, OFS_ERR_ARG, "mnist: expected file names shorter than %d bytes, found a directory name of %lu "
                         "and a set name of %lu bytes", (int)sizeof images, (unsigned long)len, (unsigned long)strlen(set));
    sprintf(images, "%s%s%s-images-idx3-ubyte", dir, slash, set);
    sprintf(labels, "%s%s%s-labels-idx1-ubyte", dir, slash, set);
    return ofs_mnist_load(images, labels, ds, err);
}

#endif /* OFS_NO_STDIO */

/* Synthetic digits, for runs and tests without a download. Each image draws from
   one ofs_rng, in this order: its class k (0-9), a shift sy and a shift sx (each
   -2 to 2), then a noise value u (0-59) for every pixel, row by row. Class k is a
   cone of radius 5 centred at row 7 + 14 (k div 5) + sy, column 3 + 5 (k mod 5) + sx
   (two rows of five places; the left ones are cut by the edge):

       pixel(y, x) = min(255, floor(255 (25 - d2) / 25) [d2 < 25] + u),
       d2 = (y - cy)^2 + (x - cx)^2

   The ranges of the centres do not overlap (rows 5-9 and 19-23, columns 1-5, 6-10,
   ...), so the class is told by where the bright pixels are, not by a shape: an
   easy problem, which chapter 15's network learns to 100 % in a few epochs.     */
OFSDEF void ofs_mnist_synthetic(unsigned char *pixels, unsigned char *labels, size_t n, uint64_t seed)
{
    ofs_rng r;
    size_t i;
    OFS_ASSERT(n == 0 || (pixels && labels));
    ofs_rng_seed(&r, seed);
    for (i = 0; i < n; i++) {
        unsigned char *img = pixels + i * 784;
        int k = (int)ofs_rng_below(&r, 10), y, x;
        int cy = 7 + 14 * (k / 5) + (int)ofs_rng_below(&r, 5) - 2;
        int cx = 3 + 5 * (k % 5) + (int)ofs_rng_below(&r, 5) - 2;
        labels[i] = (unsigned char)k;
        for (y = 0; y < 28; y++)
            for (x = 0; x < 28; x++) {
                int d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                int v = (d2 < 25 ? 255 * (25 - d2) / 25 : 0) + (int)ofs_rng_below(&r, 60);
                img[y * 28 + x] = (unsigned char)(v > 255 ? 255 : v);
            }
    }
}

#ifndef OFS_NO_STDIO
/* ---- Writing IDX files ---- */
/* Only unsigned bytes, the type of images and labels: the header 0x00 0x00 0x08
   NDIM and the big-endian sizes, then the bytes, through chapter 0's temporary
   file and rename, so that a failed write leaves any previous file as it was. */
static void ofs__be32_put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

/* The header of an unsigned-byte IDX file of ndim sizes dims into head; its length
   and the element count in *hlen and *count. */
static ofs_status ofs__idx_head_make(const char *path, int ndim, const uint32_t *dims, unsigned char *head, size_t *hlen,
                                     size_t *count, ofs_err *err)
{
    ofs__idx_head h;
    char text[96];
    double c;
    int k;
    OFS_ASSERT(path && (ndim <= 0 || dims));
    if (ndim < 1 || ndim > OFS_IDX_MAX_DIMS)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected 1 to %d dimensions for an IDX file, found %d", path, OFS_IDX_MAX_DIMS, ndim);
    h.ndim = ndim;
    memcpy(h.dims, dims, (size_t)ndim * sizeof dims[0]);
    c = ofs__idx_count(dims, ndim);
    if (c > OFS_IDX_MAX_COUNT)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected at most 2^31 elements (the reader's limit), found the sizes %s, "
                         "which make more", path, ofs__idx_dims_text(&h, text, sizeof text));
    head[0] = head[1] = 0;
    head[2] = OFS_IDX_U8;
    head[3] = (unsigned char)ndim;
    for (k = 0; k < ndim; k++) ofs__be32_put(head + 4 + 4 * k, dims[k]);
    *hlen = 4 + 4 * (size_t)ndim;
    *count = (size_t)c;
    return OFS_OK;
}

OFSDEF ofs_status ofs_idx_save(const char *path, const unsigned char *data, int ndim, const uint32_t *dims, ofs_err *err)
{
    unsigned char head[4 + 4 * OFS_IDX_MAX_DIMS];
    const unsigned char *parts[2];
    size_t lens[2] = {0, 0};
    ofs_status s = ofs__idx_head_make(path, ndim, dims, head, &lens[0], &lens[1], err);
    if (s != OFS_OK) return s;
    OFS_ASSERT(lens[1] == 0 || data);
    parts[0] = head; parts[1] = data;
    return ofs__save_parts(path, parts, lens, 2, (size_t)-1, err);
}

/* Both files are written and synced before either is renamed into place: a failure
   of either leaves both previous files as they were. (A crash between the two
   renames can still leave new images beside old labels.) */
static ofs_status ofs__mnist_pair_save(const char *images_path, const char *labels_path, const unsigned char *pixels,
                                       const unsigned char *labels, size_t n, ofs_err *err)
{
    unsigned char hi[16], hl[8];
    const unsigned char *pi[2], *pl[2];
    size_t li[2] = {0, 0}, ll[2] = {0, 0};
    uint32_t dims[3];
    ofs__out oi, ol;
    ofs_status s;
    dims[0] = (uint32_t)n; dims[1] = dims[2] = 28;
    if ((s = ofs__idx_head_make(images_path, 3, dims, hi, &li[0], &li[1], err)) != OFS_OK) return s;
    if ((s = ofs__idx_head_make(labels_path, 1, dims, hl, &ll[0], &ll[1], err)) != OFS_OK) return s;
    pi[0] = hi; pi[1] = pixels; pl[0] = hl; pl[1] = labels;
    if ((s = ofs__save_begin(images_path, pi, li, 2, (size_t)-1, &oi, err)) != OFS_OK) return s;
    if ((s = ofs__save_begin(labels_path, pl, ll, 2, (size_t)-1, &ol, err)) != OFS_OK) { ofs__save_abort(&oi); return s; }
    if ((s = ofs__save_commit(images_path, &oi, err)) != OFS_OK) { ofs__save_abort(&ol); return s; }
    return ofs__save_commit(labels_path, &ol, err);
}

OFSDEF ofs_status ofs_mnist_synthetic_save(const char *images_path, const char *labels_path, size_t n, uint64_t seed,
                                           ofs_err *err)
{
    unsigned char *pixels, *labels;
    ofs_status s;
    if (n < 1 || (double)n > OFS_IDX_MAX_COUNT / 784)
        return ofs__fail(err, OFS_ERR_ARG, "%s: expected 1 to %lu synthetic images, found %lu", images_path,
                         (unsigned long)(OFS_IDX_MAX_COUNT / 784), (unsigned long)n);
    pixels = (unsigned char *)ofs__alloc(n, 784);
    labels = (unsigned char *)ofs__alloc(n, 1);
    if (!pixels || !labels) {
        s = ofs__fail(err, OFS_ERR_NOMEM, "%s: cannot allocate %lu images of 784 bytes", images_path, (unsigned long)n);
    } else {
        ofs_mnist_synthetic(pixels, labels, n, seed);
        s = ofs__mnist_pair_save(images_path, labels_path, pixels, labels, n, err);
    }
    ofs__free(pixels);
    ofs__free(labels);
    return s;
}
#endif /* OFS_NO_STDIO */

OFS__VECTORIZE_END

#endif /* OPTIMFS_IMPLEMENTATION_DONE */
#endif /* OPTIMFS_IMPLEMENTATION */

/*
REVISION HISTORY
    0.3.0  (2026-12-03)  Rprop, ASGD and L-BFGS (strong Wolfe); ADOPT, Schedule-Free AdamW
                         and SGD; CyclicLR, LambdaLR, MultiplicativeLR, SWALR and WSD;
                         weight averaging (SWA, EMA) and its
                         place in the trainer and checkpoints (format 3); vector kernels
                         chosen at run time and ofs_set_flush_denormal; optimizer states
                         tagged (0.2.0's still load), every kind of optimizer and schedule
                         one function and one table row.
    0.2.0  (2026-12-01)  learning-rate schedules and reduce-on-plateau; gradient checker;
                         matrix products, MLP, trainer and checkpoints; IDX/MNIST reading
                         and writing, synthetic digits; toy traces and contour grids;
                         gradient clipping and finiteness checks.
    0.1.0  (2026-11-23)  first release: optimizers, toy objectives, Newton's method.

------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the optimfs.h authors
Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this
software, either in source code form or as a compiled binary, for any purpose,
commercial or non-commercial, and by any means.
In jurisdictions that recognize copyright laws, the author or authors of this
software dedicate any and all copyright interest in the software to the public
domain. We make this dedication for the benefit of the public at large and to
the detriment of our heirs and successors. We intend this dedication to be an
overt act of relinquishment in perpetuity of all present and future rights to
this software under copyright law.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN
ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
For more information, please refer to <http://unlicense.org/>
------------------------------------------------------------------------------
*/
