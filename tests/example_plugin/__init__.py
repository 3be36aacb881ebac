"""An example plugin that uses every hook of the contract (tests only, not shipped).

It imports nothing from `lms` but `lms.plugin_api`, as every plugin must.
"""
