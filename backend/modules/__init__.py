"""The model zoo: plain ``torch.nn.Module`` classes whose sizes the net can infer from the data."""

from .convnet import ConvNet, ImageAugment
from .mlp import MLP
from .text import BagOfEmbeddings, TextRNN

__all__ = ["MLP", "BagOfEmbeddings", "ConvNet", "ImageAugment", "TextRNN"]
