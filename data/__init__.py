"""Video data: decoding, dataset layouts, clip sampling, the built-in proxy task."""
