package io.chronik.testing;

import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Utils;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The group side of a transaction spoken raw on one connection, without a transaction coordinator: a producer id
 * (InitProducerId without transactional id), TxnOffsetCommit to the group's coordinator, WriteTxnMarkers to the leader
 * of the group's {@code __consumer_offsets} partition, and OffsetFetch with require_stable.
 */
public final class TxnOffsetsWire implements AutoCloseable {
    private final RawKafkaClient raw;
    private int correlationId;

    public TxnOffsetsWire(int port) throws Exception {
        this.raw = new RawKafkaClient(port);
    }

    /** The {@code __consumer_offsets} partition of a group. */
    public static int offsetsPartition(String group, int partitions) {
        return Utils.abs(group.hashCode()) % partitions;
    }

    /** A producer id and epoch from InitProducerId (idempotent, no transactional id). */
    public InitProducerIdResponseData initProducerId() throws Exception {
        short version = 4;
        InitProducerIdResponseData response = call(new InitProducerIdRequestData().setTransactionalId(null)
                .setTransactionTimeoutMs(60_000).setProducerId(-1).setProducerEpoch((short) -1), version,
                InitProducerIdResponseData::new);
        if (response.errorCode() != Errors.NONE.code()) {
            throw new IllegalStateException("InitProducerId: " + Errors.forCode(response.errorCode()));
        }
        return response;
    }

    /** TxnOffsetCommit v3 of one offset without group membership; the partition's error. */
    public Errors txnOffsetCommit(String group, long producerId, short epoch, String topic, int partition, long offset)
            throws Exception {
        return txnOffsetCommit((short) 3, group, producerId, epoch, -1, "", topic, partition, offset);
    }

    public Errors txnOffsetCommit(short version, String group, long producerId, short epoch, int generation,
                                  String memberId, String topic, int partition, long offset) throws Exception {
        TxnOffsetCommitRequestData request = new TxnOffsetCommitRequestData().setTransactionalId("tx-" + producerId)
                .setGroupId(group).setProducerId(producerId).setProducerEpoch(epoch)
                .setGenerationIdOrMemberEpoch(generation).setMemberId(memberId);
        request.topics().add(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic().setName(topic)
                .setPartitions(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                        .setPartitionIndex(partition).setCommittedOffset(offset).setCommittedMetadata("txn"))));
        TxnOffsetCommitResponseData response = call(request, version, TxnOffsetCommitResponseData::new);
        return Errors.forCode(response.topics().get(0).partitions().get(0).errorCode());
    }

    /** A COMMIT or ABORT marker of the producer on {@code topic}-{@code partition} (WriteTxnMarkers v1); its error. */
    public Errors marker(long producerId, short epoch, boolean commit, String topic, int partition) throws Exception {
        WriteTxnMarkersRequestData request = new WriteTxnMarkersRequestData();
        request.markers().add(new WriteTxnMarkersRequestData.WritableTxnMarker().setProducerId(producerId)
                .setProducerEpoch(epoch).setTransactionResult(commit).setCoordinatorEpoch(0)
                .setTopics(List.of(new WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName(topic)
                        .setPartitionIndexes(List.of(partition)))));
        WriteTxnMarkersResponseData response = call(request, (short) 1, WriteTxnMarkersResponseData::new);
        return Errors.forCode(response.markers().get(0).topics().get(0).partitions().get(0).errorCode());
    }

    /** OffsetFetch of one partition at {@code version} (7 or later for require_stable). */
    public OffsetFetchResponseData offsetFetch(short version, String group, String topic, int partition,
                                              boolean requireStable) throws Exception {
        OffsetFetchRequestData request = new OffsetFetchRequestData().setRequireStable(requireStable);
        if (version >= 8) {
            request.groups().add(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(group)
                    .setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(topic)
                            .setPartitionIndexes(List.of(partition)))));
        } else {
            request.setGroupId(group).setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopic()
                    .setName(topic).setPartitionIndexes(List.of(partition))));
        }
        return call(request, version, OffsetFetchResponseData::new);
    }

    private <T> T call(ApiMessage request, short version, BiFunction<ByteBufferAccessor, Short, T> parse)
            throws Exception {
        raw.send(request, version, ++correlationId);
        ApiKeys key = ApiKeys.forId(request.apiKey());
        ByteBuffer body = raw.receive(key.responseHeaderVersion(version)).body();
        return parse.apply(new ByteBufferAccessor(body), version);
    }

    @Override
    public void close() throws Exception {
        raw.close();
    }
}
