"""The club's domain: models and the services that hold every business rule.

Every write in the system goes through a function in this package; the API, the
console, the NFC station and the jobs are thin adapters over them.
"""
