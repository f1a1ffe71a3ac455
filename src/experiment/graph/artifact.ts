/** The artifact contract (defined in the foundation layer, src/store/artifacts.ts, so the report can implement it). */
export {
  type Artifact,
  type ArtifactContext,
  type ArtifactFactory,
  type ArtifactManifest,
  type ArtifactResult,
  registerArtifactKind,
  registeredFactories,
} from "../../store/artifacts.ts";
