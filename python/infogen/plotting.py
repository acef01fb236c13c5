"""Matplotlib figures for infogen's models (optional: ``pip install infogen[plot]``).

The figures live with their families (``infogen.rbm.plotting``, ``infogen.vae.plotting``,
``infogen.ae.plotting``);
this module gathers them under one name. Every function draws into a given ``ax``/``fig``
or creates a new figure, and returns the figure, so it works with any backend.
"""
from infogen.ae.plotting import plot_ae_filters, plot_ae_reconstructions, plot_denoising
from infogen.rbm.plotting import plot_completions, plot_images, plot_rbm_filters, plot_training_curves
from infogen.vae.plotting import plot_latent_manifold, plot_learning_curves, plot_reconstructions, plot_samples

__all__ = ["plot_ae_filters", "plot_ae_reconstructions", "plot_completions", "plot_denoising", "plot_images",
           "plot_latent_manifold", "plot_learning_curves", "plot_rbm_filters", "plot_reconstructions", "plot_samples",
           "plot_training_curves"]
