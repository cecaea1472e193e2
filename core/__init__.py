"""AlephTX core engine: model, books, bus, replay; later OMS, risk, ledger, venues, strategies.

Imports point down only: nothing here imports from alephtx.tools or alephtx.agent.
"""
