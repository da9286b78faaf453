// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Vigil checkpoint anchors
/// @notice Records, per log origin, the latest signed checkpoint of a Vigil ledger
/// (tree size, RFC 9162 root, SHA-256 of the C2SP checkpoint body), so that anyone holding
/// the chain can later tell a rolled-back, truncated or rewritten log from the one that
/// was published. Only roots go on chain; entries never do.
contract VigilAnchor {
    struct Anchor {
        uint64 size;
        bytes32 root;
        bytes32 checkpointHash;
    }

    /// @notice The node's account, fixed at deployment. Threat: anyone else anchoring a
    /// forged root (or a larger size) under this node's origin to discredit its real log.
    address public immutable node;

    /// @notice The latest anchor per origin, keyed by keccak256(origin).
    mapping(bytes32 => Anchor) private latestByOrigin;

    /// @notice One per accepted anchor: auditors read the history from these logs.
    event Anchored(bytes32 indexed originHash, uint64 indexed size, string origin, bytes32 root, bytes32 checkpointHash);

    error NotTheNode(address sender);
    error NotNewer(uint64 anchored, uint64 offered);
    error EmptyRoot();

    constructor(address nodeAccount) {
        node = nodeAccount;
    }

    /// @notice Anchors a checkpoint of `origin` covering `size` entries.
    function anchor(string calldata origin, uint64 size, bytes32 root, bytes32 checkpointHash) external {
        // Threat: a stranger writing anchors in the node's name (see `node`).
        if (msg.sender != node) revert NotTheNode(msg.sender);
        // Threat: a hash-less anchor that commits to nothing and could never contradict a log.
        if (root == bytes32(0) || checkpointHash == bytes32(0)) revert EmptyRoot();
        bytes32 key = keccak256(bytes(origin));
        Anchor storage last = latestByOrigin[key];
        // Threat: a node (or its stolen key) rolling its public history back by anchoring a
        // smaller tree after a larger one. An equal size is refused too: it is either the
        // same checkpoint again (a duplicate anchor) or a fork of it.
        // A size of 0 is refused the same way: an empty tree anchors nothing.
        if (size <= last.size) revert NotNewer(last.size, size);
        latestByOrigin[key] = Anchor(size, root, checkpointHash);
        emit Anchored(key, size, origin, root, checkpointHash);
    }

    /// @notice The latest anchor of `origin` (all zero when it has none).
    function latest(string calldata origin) external view returns (uint64 size, bytes32 root, bytes32 checkpointHash) {
        Anchor storage a = latestByOrigin[keccak256(bytes(origin))];
        return (a.size, a.root, a.checkpointHash);
    }
}
