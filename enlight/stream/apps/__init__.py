"""What users run: the file pipeline (threads joined by bounded queues), live mode with its preview
window, the fps bench, the snapshot. They wire ``io`` and ``core``; they hold no image maths."""
