"""Fixtures of the MEV tests: a Uniswap V2 deployed from the npm artifacts into pyrevm."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from alephtx.core.mev.evm import Chain
from alephtx.core.mev.uniswap_v2_evm import UniswapV2
from tests.support.servers import ganache

LP = "0x" + "11" * 20
TRADER = "0x" + "22" * 20
SEARCHER = "0x" + "33" * 20


@dataclass
class Market:
    chain: Chain
    uni: UniswapV2
    x: str  # the token the victim sells
    y: str


@pytest.fixture
def market() -> Market:
    chain = Chain()
    for who in (LP, TRADER, SEARCHER):
        chain.set_balance(who, 10**24)
    uni = UniswapV2.deploy(chain, LP)
    x, y = uni.token(10**30), uni.token(10**30)
    for who in (TRADER, SEARCHER):
        uni.transfer(LP, x, who, 10**27)
        uni.transfer(LP, y, who, 10**27)
    return Market(chain, uni, x, y)


@pytest.fixture(scope="session")
def evm_node() -> Iterator[str]:
    with ganache() as url:
        yield url
