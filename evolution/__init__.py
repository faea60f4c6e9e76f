"""Connection-learning-guided evolution (paper section 3.2)."""
