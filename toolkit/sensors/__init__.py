"""Sensor models: physical signals from the ground truth. What they emit (observations.py) is all a
recognizer ever sees."""
