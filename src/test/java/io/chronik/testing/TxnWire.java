package io.chronik.testing;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The partition leader's side of transactions spoken raw on one connection: transactional and plain produces to
 * partition 0 of a topic, and WriteTxnMarkers as a transaction coordinator sends them.
 */
public final class TxnWire implements AutoCloseable {
    private final RawKafkaClient raw;
    private final String topic;
    private int correlationId;

    public TxnWire(int port, String topic) throws Exception {
        this.raw = new RawKafkaClient(port);
        this.topic = topic;
    }

    /** A transactional batch of {@code values} from {@code producerId}; its base offset. */
    public long produceTxn(long producerId, short epoch, int sequence, String... values) throws Exception {
        return produce(MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, sequence,
                records(values)), "tx-" + producerId);
    }

    /** A plain batch of {@code values}; its base offset. */
    public long producePlain(String... values) throws Exception {
        return produce(MemoryRecords.withRecords(Compression.NONE, records(values)), null);
    }

    /** A plain batch of {@code values}; the partition's error (NONE when appended). */
    public Errors tryProducePlain(String... values) throws Exception {
        return Errors.forCode(send(MemoryRecords.withRecords(Compression.NONE, records(values)), null).errorCode());
    }

    /** A transactional batch of {@code values} sent for {@code transactionalId}; the partition's response. */
    public ProduceResponseData.PartitionProduceResponse tryProduceTxn(String transactionalId, long producerId, short epoch,
                                                                      int sequence, String... values) throws Exception {
        return send(MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, sequence, records(values)),
                transactionalId);
    }

    private long produce(MemoryRecords batch, String transactionalId) throws Exception {
        ProduceResponseData.PartitionProduceResponse partition = send(batch, transactionalId);
        assertThat(Errors.forCode(partition.errorCode())).as(partition.errorMessage()).isEqualTo(Errors.NONE);
        return partition.baseOffset();
    }

    private ProduceResponseData.PartitionProduceResponse send(MemoryRecords batch, String transactionalId)
            throws Exception {
        short version = 9;
        ProduceRequestData request = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000)
                .setTransactionalId(transactionalId);
        ProduceRequestData.TopicProduceData topicData = new ProduceRequestData.TopicProduceData().setName(topic);
        topicData.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(batch));
        request.topicData().add(topicData);
        raw.send(request, version, ++correlationId);
        RawKafkaClient.Response response = raw.receive(ApiKeys.PRODUCE.responseHeaderVersion(version));
        return new ProduceResponseData(new ByteBufferAccessor(response.body()), version).responses().iterator().next()
                .partitionResponses().get(0);
    }

    /** Writes a COMMIT ({@code commit}) or ABORT marker to {@code markerTopic}-0 with WriteTxnMarkers v1; its error. */
    public Errors marker(long producerId, short epoch, boolean commit, String markerTopic) throws Exception {
        short version = 1;
        WriteTxnMarkersRequestData request = new WriteTxnMarkersRequestData();
        request.markers().add(new WriteTxnMarkersRequestData.WritableTxnMarker().setProducerId(producerId)
                .setProducerEpoch(epoch).setTransactionResult(commit).setCoordinatorEpoch(0)
                .setTopics(List.of(new WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName(markerTopic)
                        .setPartitionIndexes(List.of(0)))));
        raw.send(request, version, ++correlationId);
        RawKafkaClient.Response response = raw.receive(ApiKeys.WRITE_TXN_MARKERS.responseHeaderVersion(version));
        WriteTxnMarkersResponseData data = new WriteTxnMarkersResponseData(new ByteBufferAccessor(response.body()),
                version);
        WriteTxnMarkersResponseData.WritableTxnMarkerResult result = data.markers().get(0);
        assertThat(result.producerId()).isEqualTo(producerId);
        assertThat(result.topics().get(0).name()).isEqualTo(markerTopic);
        return Errors.forCode(result.topics().get(0).partitions().get(0).errorCode());
    }

    public Errors marker(long producerId, short epoch, boolean commit) throws Exception {
        return marker(producerId, epoch, commit, topic);
    }

    private static SimpleRecord[] records(String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = new SimpleRecord(System.currentTimeMillis(), null, values[i].getBytes(StandardCharsets.UTF_8));
        }
        return records;
    }

    @Override
    public void close() throws Exception {
        raw.close();
    }
}
