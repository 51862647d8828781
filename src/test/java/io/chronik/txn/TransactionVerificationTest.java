package io.chronik.txn;

import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import io.chronik.testing.TxnWire;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Partition verification (KIP-890 part 1) over the wire against a broker alone: a transactional batch for a partition
 * its producer never added to the transaction is refused (INVALID_TXN_STATE), nothing is appended and the last
 * stable offset is not held; a partition added first takes the batch; the brokers' AddPartitionsToTxn v4 answers
 * VerifyOnly questions per transaction. With the setting off, the leader appends without asking.
 */
@Timeout(120)
class TransactionVerificationTest {
    @TempDir
    Path dataDir;
    private int correlation = 1;

    @SuppressWarnings("unchecked")
    private <T extends ApiMessage> T call(TestBroker broker, ApiKeys key, int version, ApiMessage request) throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            client.send(request, (short) version, correlation);
            RawKafkaClient.Response response = client.receive(key.responseHeaderVersion((short) version));
            assertThat(response.correlationId()).isEqualTo(correlation++);
            return (T) AbstractResponse.parseResponse(key, new ByteBufferAccessor(response.body()), (short) version).data();
        }
    }

    private InitProducerIdResponseData init(TestBroker broker, String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            InitProducerIdResponseData response = call(broker, ApiKeys.INIT_PRODUCER_ID, 4,
                    new InitProducerIdRequestData().setTransactionalId(id).setTransactionTimeoutMs(60_000));
            if (response.errorCode() == Errors.NONE.code() || System.nanoTime() > deadline) {
                assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.NONE);
                return response;
            }
            Thread.sleep(50);
        }
    }

    private static AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic topic(String name) {
        return new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName(name).setPartitions(List.of(0));
    }

    private static long offset(Admin admin, String topic, IsolationLevel isolation) throws Exception {
        return admin.listOffsets(Map.of(new TopicPartition(topic, 0), OffsetSpec.latest()),
                new ListOffsetsOptions(isolation)).all().get(30, TimeUnit.SECONDS).get(new TopicPartition(topic, 0)).offset();
    }

    @Test
    void aBatchForAPartitionNotInTheTransactionIsRefusedAndAnAddedOneIsTaken() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir); Admin admin = Clients.admin(broker)) {
            Clients.createTopic(broker, "unadded", 1);
            Clients.createTopic(broker, "added", 1);
            String id = "verify-me";
            InitProducerIdResponseData producer = init(broker, id);
            long pid = producer.producerId();
            short epoch = producer.producerEpoch();
            AddPartitionsToTxnRequestData add = new AddPartitionsToTxnRequestData().setV3AndBelowTransactionalId(id)
                    .setV3AndBelowProducerId(pid).setV3AndBelowProducerEpoch(epoch);
            add.v3AndBelowTopics().add(topic("added"));
            AddPartitionsToTxnResponseData added = call(broker, ApiKeys.ADD_PARTITIONS_TO_TXN, 3, add);
            assertThat(added.resultsByTopicV3AndBelow().find("added").resultsByPartition().find(0).partitionErrorCode())
                    .isEqualTo(Errors.NONE.code());

            // The brokers' form: per transaction, VerifyOnly answers without adding anything.
            AddPartitionsToTxnRequestData verify = new AddPartitionsToTxnRequestData();
            AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction txn = new AddPartitionsToTxnRequestData
                    .AddPartitionsToTxnTransaction().setTransactionalId(id).setProducerId(pid).setProducerEpoch(epoch)
                    .setVerifyOnly(true);
            txn.topics().add(topic("added"));
            txn.topics().add(topic("unadded"));
            verify.transactions().add(txn);
            AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction stranger = new AddPartitionsToTxnRequestData
                    .AddPartitionsToTxnTransaction().setTransactionalId("never-initialised").setProducerId(pid)
                    .setProducerEpoch(epoch).setVerifyOnly(true);
            stranger.topics().add(topic("added"));
            verify.transactions().add(stranger);
            for (int version = 4; version <= 5; version++) {
                AddPartitionsToTxnResponseData answer = call(broker, ApiKeys.ADD_PARTITIONS_TO_TXN, version, verify);
                assertThat(answer.errorCode()).isEqualTo(Errors.NONE.code());
                var ours = answer.resultsByTransaction().find(id).topicResults();
                assertThat(ours.find("added").resultsByPartition().find(0).partitionErrorCode()).isEqualTo(Errors.NONE.code());
                assertThat(ours.find("unadded").resultsByPartition().find(0).partitionErrorCode())
                        .isEqualTo(Errors.INVALID_TXN_STATE.code());
                assertThat(answer.resultsByTransaction().find("never-initialised").topicResults().find("added")
                        .resultsByPartition().find(0).partitionErrorCode()).isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING.code());
            }

            try (TxnWire unadded = new TxnWire(broker.port(), "unadded"); TxnWire wire = new TxnWire(broker.port(), "added")) {
                ProduceResponseData.PartitionProduceResponse refused = unadded.tryProduceTxn(id, pid, epoch, 0, "stray");
                assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.INVALID_TXN_STATE);
                // Nothing appended, and no transaction holds read_committed consumers back.
                assertThat(offset(admin, "unadded", IsolationLevel.READ_UNCOMMITTED)).isZero();
                assertThat(unadded.producePlain("plain")).isZero();
                assertThat(offset(admin, "unadded", IsolationLevel.READ_COMMITTED)).isEqualTo(1);

                ProduceResponseData.PartitionProduceResponse taken = wire.tryProduceTxn(id, pid, epoch, 0, "in-txn");
                assertThat(Errors.forCode(taken.errorCode())).as(taken.errorMessage()).isEqualTo(Errors.NONE);
                assertThat(offset(admin, "added", IsolationLevel.READ_COMMITTED)).isZero();
                // Its next batch needs no verification (the transaction is ongoing in the partition).
                assertThat(Errors.forCode(wire.tryProduceTxn(id, pid, epoch, 1, "more").errorCode())).isEqualTo(Errors.NONE);
            }
            EndTxnResponseData ended = call(broker, ApiKeys.END_TXN, 3, new EndTxnRequestData().setTransactionalId(id)
                    .setProducerId(pid).setProducerEpoch(epoch).setCommitted(true));
            assertThat(Errors.forCode(ended.errorCode())).isEqualTo(Errors.NONE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (offset(admin, "added", IsolationLevel.READ_COMMITTED) != 3 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(offset(admin, "added", IsolationLevel.READ_COMMITTED)).isEqualTo(3);
        }
    }

    @Test
    void aTxnOffsetCommitBeforeVersion5IsRefusedUntilTheGroupsPartitionIsInTheTransaction() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir); Admin admin = Clients.admin(broker)) {
            Clients.createTopic(broker, "consumed", 1);
            String id = "offsets-verified";
            InitProducerIdResponseData producer = init(broker, id);
            long pid = producer.producerId();
            short epoch = producer.producerEpoch();
            TxnOffsetCommitRequestData commit = new TxnOffsetCommitRequestData().setTransactionalId(id).setGroupId("g")
                    .setProducerId(pid).setProducerEpoch(epoch).setGenerationIdOrMemberEpoch(-1).setMemberId("");
            commit.topics().add(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic().setName("consumed")
                    .setPartitions(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                            .setPartitionIndex(0).setCommittedOffset(5))));
            // No AddOffsetsToTxn yet: the group's offsets partition is not in any transaction of this producer.
            TxnOffsetCommitResponseData refused = call(broker, ApiKeys.TXN_OFFSET_COMMIT, 3, commit);
            assertThat(Errors.forCode(refused.topics().get(0).partitions().get(0).errorCode()))
                    .isEqualTo(Errors.INVALID_TXN_STATE);

            AddOffsetsToTxnResponseData added = call(broker, ApiKeys.ADD_OFFSETS_TO_TXN, 3, new AddOffsetsToTxnRequestData()
                    .setTransactionalId(id).setProducerId(pid).setProducerEpoch(epoch).setGroupId("g"));
            assertThat(Errors.forCode(added.errorCode())).isEqualTo(Errors.NONE);
            TxnOffsetCommitResponseData taken = call(broker, ApiKeys.TXN_OFFSET_COMMIT, 3, commit);
            assertThat(Errors.forCode(taken.topics().get(0).partitions().get(0).errorCode())).isEqualTo(Errors.NONE);

            EndTxnResponseData ended = call(broker, ApiKeys.END_TXN, 3, new EndTxnRequestData().setTransactionalId(id)
                    .setProducerId(pid).setProducerEpoch(epoch).setCommitted(true));
            assertThat(Errors.forCode(ended.errorCode())).isEqualTo(Errors.NONE);
            TopicPartition consumed = new TopicPartition("consumed", 0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets;
            do {
                offsets = admin.listConsumerGroupOffsets("g").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            } while ((offsets.get(consumed) == null) && System.nanoTime() < deadline && sleep());
            assertThat(offsets.get(consumed).offset()).isEqualTo(5);
        }
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(50);
        return true;
    }

    @Test
    void transactionalBatchesWithoutATransactionalIdAreRefusedAndNothingIsAppended() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir); Admin admin = Clients.admin(broker);
             TxnWire wire = new TxnWire(broker.port(), "anonymous")) {
            Clients.createTopic(broker, "anonymous", 1);
            ProduceResponseData.PartitionProduceResponse refused = wire.tryProduceTxn(null, 4242L, (short) 0, 0, "x");
            assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
            assertThat(refused.baseOffset()).isEqualTo(-1);
            assertThat(offset(admin, "anonymous", IsolationLevel.READ_UNCOMMITTED)).isZero();
            // A plain batch without an id is still taken.
            assertThat(wire.producePlain("plain")).isZero();
        }
    }

    @Test
    void withVerificationOffTheLeaderAppendsWithoutAsking() throws Exception {
        try (TestBroker broker = TestBroker.start(dataDir, Map.of("chronik.transaction.partition-verification", "false"));
             TxnWire wire = new TxnWire(broker.port(), "unchecked")) {
            Clients.createTopic(broker, "unchecked", 1);
            assertThat(Errors.forCode(wire.tryProduceTxn("nobody", 4242L, (short) 0, 0, "x").errorCode()))
                    .isEqualTo(Errors.NONE);
            // The transactional id is required all the same.
            assertThat(Errors.forCode(wire.tryProduceTxn(null, 4243L, (short) 0, 0, "y").errorCode()))
                    .isEqualTo(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        }
    }
}
