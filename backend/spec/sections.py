"""The sections of an experiment spec: data, model, training and evaluation settings with their metadata."""

from __future__ import annotations

from dataclasses import dataclass

from backend.spec.fields import setting

TASKS = ("classification", "regression")
NUMERIC_IMPUTE = ("median", "mean", "most_frequent", "constant")
NUMERIC_SCALERS = ("standard", "minmax", "robust", "none")
CATEGORICAL_IMPUTE = ("most_frequent", "constant")
MODALITIES = ("table", "images", "text")
ARCHITECTURES = ("mlp", "convnet", "textrnn", "bag")
#: The architectures that read each kind of data.
ARCHITECTURES_FOR = {"table": ("mlp",), "images": ("convnet",), "text": ("textrnn", "bag")}
IMAGE_COLORS = ("auto", "rgb", "gray")
POOLINGS = ("max", "avg", "none")
RNN_TYPES = ("lstm", "gru")
ACTIVATIONS = ("relu", "gelu", "tanh", "leaky_relu", "elu")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
CLASS_WEIGHTS = ("none", "balanced")
EVALUATION_MODES = ("holdout", "cv")


@dataclass
class DataSpec:
    """Which column to predict, what kind of data the others hold, and how they are prepared."""

    target: str = setting(
        "", label="Target column", kind="text", help="The column the model learns to predict."
    )
    modality: str = setting(
        "table",
        label="Kind of data",
        kind="choice",
        choices=MODALITIES,
        help="A table of numbers and categories, images (a column of image files) or text (a column of texts).",
    )
    input_column: str = setting(
        "",
        label="Image or text column",
        kind="text",
        help="Images and text only: the column holding the image files or the texts; empty finds it in the data.",
        modalities=("images", "text"),
    )
    task: str = setting(
        "classification",
        label="Task",
        kind="choice",
        choices=TASKS,
        help="Classification predicts a category; regression predicts a number.",
    )
    exclude: list[str] = setting(
        [],
        label="Excluded columns",
        kind="text_list",
        help="Columns left out of the features, such as identifiers or leaks of the target.",
    )
    numeric_impute: str = setting(
        "median",
        label="Fill missing numbers with",
        kind="choice",
        choices=NUMERIC_IMPUTE,
        help="How a missing value in a numeric column is filled (constant fills 0).",
        modalities=("table",),
    )
    numeric_scaler: str = setting(
        "standard",
        label="Scale numbers",
        kind="choice",
        choices=NUMERIC_SCALERS,
        help="How numeric columns are rescaled before training; networks learn best on standardised inputs.",
        modalities=("table",),
    )
    categorical_impute: str = setting(
        "most_frequent",
        label="Fill missing categories with",
        kind="choice",
        choices=CATEGORICAL_IMPUTE,
        help="How a missing category is filled (constant adds a category named 'missing').",
        modalities=("table",),
    )
    max_categories: int = setting(
        50,
        label="Most categories per column",
        kind="int",
        min=2,
        max=10000,
        help="A categorical column with more distinct values than this is refused; exclude it instead.",
        modalities=("table",),
    )
    scale_target: bool = setting(
        True,
        label="Standardise the target",
        kind="bool",
        help="Regression only: train on a standardised target; predictions come back in the original units.",
    )
    image_size: int = setting(
        32,
        label="Image size",
        kind="int",
        min=4,
        max=512,
        help="Images only: every image is resized to this many pixels a side before training and prediction.",
        modalities=("images",),
    )
    image_color: str = setting(
        "auto",
        label="Colour",
        kind="choice",
        choices=IMAGE_COLORS,
        help="Images only: rgb reads three channels, gray one; auto uses gray when every training image is gray.",
        modalities=("images",),
    )
    image_normalize: bool = setting(
        True,
        label="Normalise images",
        kind="bool",
        help="Images only: standardise each colour channel with the training images' mean and spread.",
        modalities=("images",),
    )
    loader_workers: int = setting(
        2,
        label="Image reading processes",
        kind="int",
        min=0,
        max=16,
        help="Images only: processes that read large image sets from disk while the network trains (0 reads "
        "them in the training process).",
        modalities=("images",),
    )
    max_tokens: int = setting(
        20000,
        label="Vocabulary size",
        kind="int",
        min=10,
        max=1000000,
        help="Text only: the most frequent words kept; rarer words all read as one unknown word.",
        modalities=("text",),
    )
    min_freq: int = setting(
        1,
        label="Fewest occurrences of a word",
        kind="int",
        min=1,
        max=1000,
        help="Text only: words seen fewer times than this in the training texts read as unknown.",
        modalities=("text",),
    )
    max_length: int = setting(
        200,
        label="Longest text (words)",
        kind="int",
        min=4,
        max=5000,
        help="Text only: longer texts are cut after this many words and punctuation marks.",
        modalities=("text",),
    )
    lowercase: bool = setting(
        True,
        label="Lower-case texts",
        kind="bool",
        help="Text only: treat 'Good' and 'good' as the same word.",
        modalities=("text",),
    )


@dataclass
class ModelSpec:
    """The network: its architecture and the shape of its hidden layers."""

    architecture: str = setting(
        "mlp",
        label="Architecture",
        kind="choice",
        choices=ARCHITECTURES,
        help="The kind of network: mlp for tables, convnet for images, textrnn (reads word order) or bag (fast, "
        "ignores word order) for text.",
    )
    hidden_units: tuple[int, ...] = setting(
        (64, 32),
        label="Hidden layers",
        kind="int_list",
        min=1,
        max=4096,
        min_items=1,
        max_items=8,
        help="The number of units in each hidden layer, from input to output.",
        architectures=("mlp",),
    )
    activation: str = setting(
        "relu",
        label="Activation",
        kind="choice",
        choices=ACTIVATIONS,
        help="The non-linearity applied after each hidden layer.",
        architectures=("mlp", "convnet"),
    )
    dropout: float = setting(
        0.0,
        label="Dropout",
        kind="float",
        min=0.0,
        max=0.9,
        help="The fraction of hidden units switched off at random while training, against overfitting.",
    )
    batch_norm: bool = setting(
        False,
        label="Batch normalisation",
        kind="bool",
        help="Normalise each hidden layer's outputs over the batch, which can speed up training.",
        architectures=("mlp", "convnet"),
    )
    conv_channels: tuple[int, ...] = setting(
        (16, 32),
        label="Convolution blocks",
        kind="int_list",
        min=1,
        max=1024,
        min_items=1,
        max_items=8,
        help="ConvNet only: the number of filters in each convolution block; each block halves the image size.",
        modalities=("images",),
        architectures=("convnet",),
    )
    kernel_size: int = setting(
        3, label="Kernel size", kind="int", min=1, max=11, help="ConvNet only: the side of each square filter.",
        modalities=("images",),
        architectures=("convnet",),
    )
    pooling: str = setting(
        "max",
        label="Pooling",
        kind="choice",
        choices=POOLINGS,
        help="ConvNet only: how each block shrinks the image by 2 (max or average), or none.",
        modalities=("images",),
        architectures=("convnet",),
    )
    augment_flip: bool = setting(
        False,
        label="Random flips",
        kind="bool",
        help="ConvNet only: mirror training images left-right at random (never at prediction).",
        modalities=("images",),
        architectures=("convnet",),
    )
    augment_rotation: float = setting(
        0.0,
        label="Random rotation (degrees)",
        kind="float",
        min=0.0,
        max=45.0,
        help="ConvNet only: rotate training images by up to this angle either way (never at prediction).",
        modalities=("images",),
        architectures=("convnet",),
    )
    embedding_dim: int = setting(
        64,
        label="Word vector size",
        kind="int",
        min=2,
        max=1024,
        help="Text only: the length of the vector learned for each word.",
        modalities=("text",),
    )
    rnn_type: str = setting(
        "lstm",
        label="Recurrent layer",
        kind="choice",
        choices=RNN_TYPES,
        help="TextRNN only: LSTM, or the lighter GRU.",
        modalities=("text",),
        architectures=("textrnn",),
    )
    rnn_units: int = setting(
        64, label="Recurrent units", kind="int", min=1, max=2048, help="TextRNN only: the size of the memory.",
        modalities=("text",),
        architectures=("textrnn",),
    )
    rnn_layers: int = setting(
        1, label="Recurrent layers", kind="int", min=1, max=4, help="TextRNN only: stacked recurrent layers.",
        modalities=("text",),
        architectures=("textrnn",),
    )
    bidirectional: bool = setting(
        False,
        label="Bidirectional",
        kind="bool",
        help="TextRNN only: read each text both forwards and backwards.",
        modalities=("text",),
        architectures=("textrnn",),
    )


@dataclass
class TrainingSpec:
    """How the network is trained: optimiser, step size, batches, epochs and early stopping."""

    optimizer: str = setting(
        "adam",
        label="Optimiser",
        kind="choice",
        choices=OPTIMIZERS,
        help="The algorithm that updates the weights; Adam is a safe default (SGD uses momentum 0.9).",
    )
    lr: float = setting(
        1e-3,
        label="Learning rate",
        kind="float",
        min=1e-6,
        max=1.0,
        help="The step size of each update; too high diverges, too low learns slowly.",
    )
    batch_size: int = setting(
        64, label="Batch size", kind="int", min=1, max=65536, help="The number of rows in each update step."
    )
    max_epochs: int = setting(
        30,
        label="Epochs",
        kind="int",
        min=1,
        max=10000,
        help="The most passes over the training rows; early stopping may end training sooner.",
    )
    early_stopping: bool = setting(
        True,
        label="Early stopping",
        kind="bool",
        help="Stop when the validation loss has not improved for a number of epochs.",
    )
    patience: int = setting(
        5,
        label="Patience",
        kind="int",
        min=1,
        max=1000,
        help="How many epochs without improvement early stopping waits before it stops.",
    )
    restore_best: bool = setting(
        True,
        label="Keep the best epoch",
        kind="bool",
        help="After early stopping, restore the weights of the epoch with the lowest validation loss.",
    )
    valid_fraction: float = setting(
        0.2,
        label="Validation fraction",
        kind="float",
        min=0.0,
        max=0.5,
        help="The share of training rows held out to watch the validation loss: 0, or 0.05 to 0.5.",
    )
    seed: int = setting(
        0,
        label="Random seed",
        kind="int",
        min=0,
        max=2**32 - 1,
        help="Fixes weight initialisation, shuffling and splits so a run can be repeated exactly.",
    )
    class_weight: str = setting(
        "none",
        label="Class weights",
        kind="choice",
        choices=CLASS_WEIGHTS,
        help="Classification only: 'balanced' weighs rare classes up so each class counts equally.",
    )


@dataclass
class EvaluationSpec:
    """How the model is scored: a single holdout split or k-fold cross-validation."""

    mode: str = setting(
        "cv",
        label="Evaluation",
        kind="choice",
        choices=EVALUATION_MODES,
        help="Holdout scores one held-out split; cross-validation scores every row once over k folds.",
    )
    folds: int = setting(
        5, label="Folds", kind="int", min=2, max=20, help="The number of cross-validation folds."
    )
    stratified: bool = setting(
        True,
        label="Stratified",
        kind="bool",
        help="Classification only: keep each class's share the same in every split.",
    )
    shuffle: bool = setting(
        True,
        label="Shuffle",
        kind="bool",
        help="Shuffle the rows (with the seed) before splitting; turn off only for ordered data.",
    )
    holdout_fraction: float = setting(
        0.2,
        label="Holdout fraction",
        kind="float",
        min=0.05,
        max=0.5,
        help="The share of rows held out for scoring in holdout mode.",
    )
