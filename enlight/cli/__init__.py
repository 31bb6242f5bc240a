"""The command lines: ``enlight-video`` (``video``, with its bench, export, snapshot and
convert-weights commands) and ``enlight-train`` (``train``), on one parser base (``common``).
They turn arguments into frozen configs and pass fields, never the argparse namespace."""
