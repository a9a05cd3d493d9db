"""mlcourse: shared helpers for the course notebooks.

Importing the package is cheap and never imports TensorFlow; call
:func:`mlcourse.config.start` first in every notebook.
"""

__version__ = "0.1.0"
