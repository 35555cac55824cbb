using System.Reflection;

namespace NukeContainers.Tests;

/// The public API in the product's own terms (issue 27.4): no type of the Engine API client (Docker.DotNet) in any
/// public or protected signature of the library or the components, so that a team's code never depends on it.
public sealed class PublicApiSpecs
{
    private static IEnumerable<Type> Mentioned(Type type)
    {
        if (type.HasElementType) return Mentioned(type.GetElementType()!);
        return type.IsGenericType ? type.GetGenericArguments().SelectMany(Mentioned).Prepend(type) : [type];
    }

    private static IEnumerable<(string Member, Type Type)> Signatures(Type type)
    {
        const BindingFlags visible = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (type.BaseType is { } baseType) yield return ("base type", baseType);
        foreach (var contract in type.GetInterfaces()) yield return ("interface", contract);
        foreach (var member in type.GetMembers(visible))
        {
            var shown = member switch
            {
                MethodBase m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
                PropertyInfo p => p.GetAccessors(true).Any(a => a.IsPublic || a.IsFamily),
                FieldInfo f => f.IsPublic || f.IsFamily,
                EventInfo e => e.AddMethod is { IsPublic: true },
                _ => false,
            };
            if (!shown) continue;
            IEnumerable<Type> types = member switch
            {
                MethodInfo m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType),
                ConstructorInfo c => c.GetParameters().Select(p => p.ParameterType),
                PropertyInfo p => [p.PropertyType],
                FieldInfo f => [f.FieldType],
                EventInfo e => [e.EventHandlerType!],
                _ => [],
            };
            foreach (var used in types) yield return ($"{member.Name}", used);
        }
    }

    [Fact]
    public void No_public_signature_of_the_library_or_the_components_names_a_Docker_DotNet_type()
    {
        var assemblies = new[] { typeof(ImagePipeline).Assembly, typeof(Components.IContainerImages).Assembly };

        var leaks = assemblies.SelectMany(a => a.GetExportedTypes())
            .SelectMany(t => Signatures(t).SelectMany(s => Mentioned(s.Type).Select(used => (Where: $"{t.FullName}.{s.Member}", Used: used))))
            .Where(x => x.Used.Assembly.GetName().Name == "Docker.DotNet")
            .Select(x => $"{x.Where}: {x.Used.FullName}").Distinct().ToList();

        Assert.True(leaks.Count == 0, "public signatures with Docker.DotNet types:\n" + string.Join("\n", leaks));
        Assert.Contains(typeof(Engine.EngineImage), assemblies[0].GetExportedTypes());   // what stands in for its image inspect
    }

    /// Provisioning apart (issue 27.2): installing an engine, a registry or base images lives in
    /// NukeContainers.LocalEnvironment, which a build opts into; the library and the components neither reference it
    /// nor hold a provisioning type, so a team's build that does not take it cannot install anything.
    [Fact]
    public void Only_NukeContainers_LocalEnvironment_provisions_and_neither_the_library_nor_the_components_reference_it()
    {
        var provisioning = typeof(Provisioning.EmbeddedEnvironment).Assembly;
        Assembly[] others = [typeof(ImagePipeline).Assembly, typeof(Components.IContainerImages).Assembly];

        Assert.Equal("NukeContainers.LocalEnvironment", provisioning.GetName().Name);
        Assert.Contains(typeof(Components.ILocalEnvironment), provisioning.GetExportedTypes());
        Assert.Contains(typeof(Components.ILocalBaseImages), provisioning.GetExportedTypes());
        foreach (var assembly in others)
        {
            Assert.DoesNotContain(assembly.GetReferencedAssemblies(), r => r.Name == provisioning.GetName().Name);
            Assert.DoesNotContain(assembly.GetTypes(), t => t.Namespace == "NukeContainers.Provisioning");
            Assert.DoesNotContain(assembly.GetManifestResourceNames(), n => n.EndsWith(".Dockerfile", StringComparison.Ordinal));
        }
        Assert.False(typeof(Components.ILocalEnvironment).IsAssignableFrom(typeof(Components.IBuildImages)), "building must not bring the installer");
    }
}
