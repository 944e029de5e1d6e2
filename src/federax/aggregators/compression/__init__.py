"""Compression aggregators: quantization, rotations, sparsification, stages.

The public names are re-exported by `fx.aggregators`; see
`docs/aggregators.md` (Compression).
"""

from federax.aggregators.compression.discretization import (
    DeterministicDiscretizationFactory, StochasticDiscretizationFactory)
from federax.aggregators.compression.encoded import EncodedSumFactory
from federax.aggregators.compression.encoding_stage import EncodingStage
from federax.aggregators.compression.modular_clipping import (
    ModularClippingSumFactory)
from federax.aggregators.compression.presets import (
    TopKSparsificationFactory, UniformQuantizationFactory,
    compression_aggregator)
from federax.aggregators.compression.rotation import (
    DiscreteFourierTransformFactory, HadamardTransformFactory)
from federax.aggregators.compression.stages import (TopKStage,
                                                    UniformQuantizationStage)

__all__ = ['DeterministicDiscretizationFactory',
           'DiscreteFourierTransformFactory', 'EncodedSumFactory',
           'EncodingStage', 'HadamardTransformFactory',
           'ModularClippingSumFactory', 'StochasticDiscretizationFactory',
           'TopKSparsificationFactory', 'TopKStage',
           'UniformQuantizationFactory', 'UniformQuantizationStage',
           'compression_aggregator']
