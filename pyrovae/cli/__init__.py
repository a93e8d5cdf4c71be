"""The ``pyrovae`` command line: ``fit``, ``evaluate``, ``sample`` and the model-file contract."""
