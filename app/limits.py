"""Every upper bound the API enforces, in one place.

The request schemas read these; a request over a bound gets a 422 that names
it. README.md lists them for API users.
"""

# Formulas
MAX_FORMULA_LENGTH = 500  # characters
MAX_FORMULA_DEPTH = 100  # nesting of operators, calls and parentheses
MAX_CONSTANT_LOG10 = 300  # a constant like 9**9**9 must stay below 1e300
MAX_DERIVATIVE_OPS = 20_000  # size of ∂f/∂x or ∂f/∂y after differentiation

# Surfaces
MIN_MESH_RESOLUTION = 2
MAX_MESH_RESOLUTION = 400
MAX_EVALUATE_POINTS = 10_000
MAX_RANGE_MAGNITUDE = 1e6  # |lo|, |hi| of a formula's x_range and y_range

# Descent
MAX_RUNS = 64
MAX_STEPS = 100_000
MAX_PATH_POINTS = 1_000_000  # runs × max_steps in one descent request
MAX_GRADIENT_NOISE = 1e6
MAX_LEARNING_RATE = 1e6

# Basins
MIN_BASIN_RESOLUTION = 2
MAX_BASIN_RESOLUTION = 256
MAX_BASIN_STEPS = 10_000
MAX_BASIN_WORK = 50_000_000  # resolution² × max_steps

# Stability maps: one run per cell of a grid of two hyperparameters
MIN_STABILITY_COUNT = 2  # values per axis
MAX_STABILITY_COUNT = 128
MAX_STABILITY_STEPS = 10_000
MAX_STABILITY_WORK = 20_000_000  # x count × y count × max_steps

# Curvature (the Hessian at points)
MAX_CURVATURE_POINTS = 10_000

# The divergence box: centred on the domain, each side this many domain spans.
DIVERGENCE_BOX_SPANS = 100

# Networks (issue 4 fills this section)
MAX_HIDDEN_LAYERS = 8
MAX_HIDDEN_UNITS = 64  # units in one hidden layer
MIN_EPOCHS = 1
MAX_EPOCHS = 20_000
MIN_DATASET_POINTS = 2
MAX_DATASET_POINTS = 5_000  # generated (n) or inline points
MAX_DATASET_NOISE = 1.0
MAX_TEST_FRACTION = 0.9
MAX_DATA_MAGNITUDE = 1e6  # |coordinate| and |label| of inline points, |weight| of explicit weights
MAX_L2 = 100.0
MAX_RECORD_EVERY = 20_000
MAX_BOUNDARY_RESOLUTION = 100  # 0 = no decision boundary
MIN_LANDSCAPE_RESOLUTION = 5
MAX_LANDSCAPE_RESOLUTION = 101
MAX_LANDSCAPE_SPAN = 100.0
MIN_GRADCHECK_EPSILON = 1e-10
MAX_GRADCHECK_EPSILON = 1.0
# Total work of one request, in weight × point evaluations (a forward pass of n points
# through P weights costs n·P): training, test and boundary passes, landscape grid and
# path, or finite differences. A few seconds of one core at the bound.
MAX_NETWORK_WORK = 10_000_000_000
MAX_OPTIMIZER_STEPS = 200_000  # epochs × minibatches per epoch
MAX_BOUNDARY_VALUES = 2_000_000  # recorded epochs × boundary_resolution² in one response
MAX_TRAJECTORY_VALUES = 2_000_000  # landscape: recorded epochs × weights kept for PCA
MAX_UNIT_RESOLUTION = 48  # the map of what each hidden unit computes (0 = none)
MAX_UNIT_VALUES = 2_000_000  # recorded epochs × hidden units × unit_resolution² in one response
MAX_UNIT_VALUES_PER_RECORD = 150_000  # hidden units × unit_resolution² (live: ≤ 4 a second)
MIN_FAN_RATES = 2  # learning rates of one POST /api/train/fan (its work: all runs together)
MAX_FAN_RATES = 8

# Serving (issue 8: a server a class can share)
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # a request body; over it: 413 before parsing
MAX_ERROR_EXCERPT = 80  # characters of a bad input echoed in an error body
STALLED_CLIENT_SECONDS = 30.0  # a client sending nothing of its body, or reading nothing: dropped
FORMULA_COMPILE_SECONDS = 2.0  # wall-time budget of one formula compile (parse, diff, compile)
MAX_WS_MESSAGE_BYTES = 1024 * 1024  # one WebSocket message from a client
MAX_WS_INBOX_BYTES = 2 * 1024 * 1024  # client messages waiting in one session's inbox
