"""Bundle simulation: run transactions atomically on a snapshot, report, roll back.

Each transaction is a plain call (``Call``) or a signed raw transaction (its sender recovered
from the signature, its nonce and gas fields read from it). The report gives, per
transaction, success or the revert reason and the gas used; the token and ether balance changes
of the accounts that matter; and the bundle's net profit for one account after gas. Nothing of
the run stays in the chain's state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rlp
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from alephtx.core.errors import FieldError
from alephtx.core.mev.evm import Chain

__all__ = ["Call", "decode_raw_transaction", "simulate_bundle"]


@dataclass(frozen=True, slots=True)
class Call:
    sender: str
    to: str
    data: bytes = b""
    value: int = 0
    gas: int = 1_000_000
    gas_price: int = 0
    label: str = ""


def decode_raw_transaction(raw: bytes | str) -> Call:
    """A signed transaction (legacy, EIP-2930 or EIP-1559) as the call it makes, with its sender."""
    if isinstance(raw, str):
        try:
            raw = bytes.fromhex(raw.removeprefix("0x"))
        except ValueError:
            raise FieldError("raw_transaction", raw[:20], "is not hex") from None
    try:
        sender = Account.recover_transaction(raw)
        if raw[0] >= 0xC0:  # legacy: rlp list [nonce, gasPrice, gas, to, value, data, v, r, s]
            fields = rlp.decode(raw)
            to, value, data = fields[3], int.from_bytes(fields[4], "big"), bytes(fields[5])
            gas, price = int.from_bytes(fields[2], "big"), int.from_bytes(fields[1], "big")
        else:
            tx = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
            to, value, data = tx["to"], int(tx["value"]), bytes(tx["data"])
            gas, price = int(tx["gas"]), int(tx.get("maxFeePerGas") or tx.get("gasPrice") or 0)
    except Exception as exc:  # rlp and eth-account raise many types for malformed input
        raise FieldError("raw_transaction", "0x" + raw[:8].hex() + "...", f"not a signed transaction: {exc}") from None
    if not to:
        raise FieldError("raw_transaction", "0x" + keccak(raw).hex(), "contract creation is not simulated in a bundle")
    return Call(sender, to_checksum_address(to), data, value, gas, price, "0x" + keccak(raw).hex())


def simulate_bundle(
    chain: Chain,
    txs: Sequence[Call | bytes | str],
    *,
    tokens: Mapping[str, str] | None = None,
    accounts: Sequence[str] = (),
    profit_account: str | None = None,
    value_tokens: Sequence[str] = (),
    gas_price: int | None = None,
) -> dict[str, Any]:
    """Run ``txs`` in order on a snapshot of ``chain`` and roll back.

    ``tokens`` names the ERC-20s to watch ({symbol: address}); ``accounts`` are the holders whose
    changes are reported. The profit of ``profit_account`` is its ether change plus its change in
    each of ``value_tokens`` (symbols of tokens worth one wei of ether each, such as WETH),
    minus the gas its own transactions burn at ``gas_price`` (or each transaction's own price).
    The bundle is ``valid`` only when every transaction succeeds, as a relay requires.
    """
    tokens = dict(tokens or {})
    calls = [t if isinstance(t, Call) else decode_raw_transaction(t) for t in txs]
    if not calls:
        raise FieldError("txs", [], "a bundle needs at least one transaction")
    for sym in value_tokens:
        if sym not in tokens:
            raise FieldError("value_tokens", sym, "must name one of the watched tokens")
    watch = list(dict.fromkeys([*accounts, *([profit_account] if profit_account else [])]))

    def balances() -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for who in watch:
            row = {"ETH": chain.balance(who)}
            for sym, addr in tokens.items():
                row[sym] = chain.token_balance(addr, who)
            out[who] = row
        return out

    checkpoint = chain.snapshot()
    try:
        before = balances()
        results = []
        gas_cost = 0
        for i, call in enumerate(calls):
            # Gas is charged here, not by the EVM (gas price 0 there), so that balances show only
            # what the transactions move, and the profit subtracts gas once.
            res = chain.transact(call.sender, call.to, call.data, value=call.value, gas=call.gas)
            price = call.gas_price if gas_price is None else gas_price
            if profit_account and call.sender.lower() == profit_account.lower():
                gas_cost += res.gas_used * price
            results.append(
                {
                    "index": i,
                    "label": call.label or f"tx{i}",
                    "sender": call.sender,
                    "to": call.to,
                    "success": res.success,
                    "revert_reason": res.reason or None,
                    "gas_used": res.gas_used,
                }
            )
        after = balances()
    finally:
        chain.revert(checkpoint)
    changes = {
        who: {k: after[who][k] - before[who][k] for k in before[who] if after[who][k] != before[who][k]}
        for who in watch
    }
    report: dict[str, Any] = {
        "valid": all(r["success"] for r in results),
        "transactions": results,
        "gas_used": sum(r["gas_used"] for r in results),
        "balance_changes": changes,
    }
    if profit_account:
        delta = changes.get(profit_account, {})
        gross = delta.get("ETH", 0) + sum(delta.get(sym, 0) for sym in value_tokens)
        report["profit_account"] = profit_account
        report["gross_profit_wei"] = gross
        report["gas_cost_wei"] = gas_cost
        report["net_profit_wei"] = gross - gas_cost
    return report
