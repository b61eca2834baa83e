"""prmkit.labeling"""
