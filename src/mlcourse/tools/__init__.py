"""What students never import: the instructor's and the maintainer's tools.

* :mod:`mlcourse.tools.assignments` — the nbgrader source format, student
  versions (``make handouts``), the student bundle and grading (``make grade``).
* :mod:`mlcourse.tools.cli` — the one parser of ``python -m mlcourse``.
"""
