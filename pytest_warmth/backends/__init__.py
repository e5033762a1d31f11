"""Where a model is asked: the side protocol, the backends behind it and their registry.

:mod:`.protocol` holds the :class:`~.protocol.Side` protocol, :mod:`.registry` the backends by
name; built in: :mod:`.hf` (transformers + PEFT + GGUF, in this process).
"""
