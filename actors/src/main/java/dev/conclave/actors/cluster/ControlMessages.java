package dev.conclave.actors.cluster;

import dev.conclave.actors.NodeAgent;
import dev.conclave.actors.Orchestrator;
import dev.conclave.actors.TrainingExpertGroup;
import dev.conclave.training.optim.AdamW;
import dev.conclave.training.optim.LrSchedule;
import dev.conclave.training.optim.Muon;
import dev.conclave.training.optim.OptimizerConfig;

import java.util.List;

/**
 * The allow-list of classes that may cross nodes as control messages, in wire order. Kryo writes a listed
 * class as the id {@link #FIRST_ID} + its index and refuses every class that is neither listed here nor
 * one of the serializer's support types (primitive arrays, {@code String[]}, the JDK's immutable
 * collections, typed actor refs). Every node must run the same list, so classes are only ever appended,
 * one line each: never reordered, never removed.
 *
 * <p>A listed class is a record (the protocol messages and the records they carry), an enum, or an array
 * of those; collection fields hold {@code List.copyOf(...)}-style immutable collections.
 */
public final class ControlMessages {

    /** Ids below this one belong to Kryo's built-in types and the serializer's support types. */
    public static final int FIRST_ID = 100;

    public static final List<Class<?>> CLASSES = List.of(
            Orchestrator.Generate.class,
            Orchestrator.ComputeLogits.class,
            Orchestrator.Generated.class,
            Orchestrator.Logits.class,
            Orchestrator.Failed.class,
            NodeAgent.GetStatus.class,
            NodeAgent.NodeStatus.class,
            NodeAgent.ClusterStatus.class,
            Orchestrator.OpenSequence.class,
            Orchestrator.SequenceOpened.class,
            Orchestrator.Step.class,
            Orchestrator.CloseSequence.class,
            TrainingExpertGroup.Begin.class,
            TrainingExpertGroup.Ready.class,
            TrainingExpertGroup.GetGradShare.class,
            TrainingExpertGroup.GradShare.class,
            TrainingExpertGroup.ApplyStep.class,
            TrainingExpertGroup.StepApplied.class,
            TrainingExpertGroup.GetState.class,
            TrainingExpertGroup.StateChunk.class,
            TrainingExpertGroup.RestoreState.class,
            TrainingExpertGroup.Restored.class,
            OptimizerConfig.class,
            Muon.Settings.class,
            AdamW.Settings.class,
            LrSchedule.class,
            Orchestrator.MtpStep.class,
            Orchestrator.Stepped.class,
            Orchestrator.Drafted.class
    );

    private ControlMessages() {
    }
}
