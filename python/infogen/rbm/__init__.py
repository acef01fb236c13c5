"""Restricted Boltzmann machines, deep belief nets and discrete Markov networks.

- :class:`BernoulliRBM` (``model.py``): the scikit-learn estimator on the C++ kernels.
- :class:`DBN` (``dbn.py``): greedily stacked RBMs.
- :func:`ais_schedule`, :class:`LogPartition` (``ais.py``): annealed importance sampling.
- :class:`DiscreteMarkovNetwork` (``markov.py``, Gibbs in ``gibbs.py``): explicit factor tables.
- ``demo.py``, ``cli.py``, ``plotting.py``: the family's demo section, commands and figures.
"""
from infogen.rbm.ais import LogPartition, ais_schedule
from infogen.rbm.dbn import DBN
from infogen.rbm.markov import DiscreteMarkovNetwork
from infogen.rbm.model import BernoulliRBM

__all__ = ["DBN", "BernoulliRBM", "DiscreteMarkovNetwork", "LogPartition", "ais_schedule"]
